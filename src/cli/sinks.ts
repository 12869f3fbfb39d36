// Which view the terminal gets: --json events, the listr tree on a TTY (lock-step plays; a free
// play's steps overlap, which a tree per step cannot show), plain lines otherwise. The tree's
// listr2 is loaded only for a terminal: a run from cron, CI or a pipe does not pay its ~15 ms.

import type { EventSink } from '../engine/events.js';
import { JsonSink } from '../ui/json.js';
import { PlainSink } from '../ui/plain.js';

export async function terminalSink(options: { json: boolean; strategy: 'linear' | 'free' }): Promise<EventSink> {
  const write = (text: string) => void process.stdout.write(text);
  if (options.json) return new JsonSink(write);
  if (process.stdout.isTTY && options.strategy === 'linear') return new (await import('../ui/tree.js')).TreeSink(write);
  return new PlainSink(write);
}
