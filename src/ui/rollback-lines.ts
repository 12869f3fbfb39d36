// Rollback's human view: one line per host and change, the sentence the rollback gives it
// (`kafka01: undone "Write zoo.cfg" (template)`), and an undo's progress lines the same way. The
// run as a whole (nothing to undo, the closing count) is said by the command.

import type { EventSink, RunEvent } from '../engine/events.js';
import { printable } from './lines.js';

export class RollbackLinesSink implements EventSink {
  constructor(private readonly say: (line: string) => void) {}

  emit(e: RunEvent): void {
    if (e.type === 'host-result' && e.summary !== undefined) this.say(`${e.host}: ${printable(e.summary)}`);
    else if (e.type === 'host-log') this.say(`${e.host}: ${printable(e.message)}`);
  }
}
