// Which view the terminal gets: --json events, the listr tree on a TTY (lock-step plays; a free
// play's steps overlap, which a tree per step cannot show), plain lines otherwise.

import type { EventSink } from '../engine/events.js';
import { JsonSink } from '../ui/json.js';
import { PlainSink } from '../ui/plain.js';
import { TreeSink } from '../ui/tree.js';

export function terminalSink(options: { json: boolean; strategy: 'linear' | 'free' }): EventSink {
  const write = (text: string) => void process.stdout.write(text);
  if (options.json) return new JsonSink(write);
  if (process.stdout.isTTY && options.strategy === 'linear') return new TreeSink(write);
  return new PlainSink(write);
}
