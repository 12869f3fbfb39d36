// Output for pipes and CI: one line per result, diffs under it, the recap at the end.

import type { EventSink, RunEvent } from '../engine/events.js';
import { checkpointLine, diffText, endText, printable, resultLine } from './lines.js';

export class PlainSink implements EventSink {
  constructor(private readonly write: (text: string) => void) {}

  emit(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.write(`PLAY [${e.runbook}] on ${e.hosts.join(', ') || 'no hosts'}${e.checkMode ? ' (check mode: nothing is changed)' : ''}\n`);
        break;
      case 'host-result':
        this.write(resultLine(e) + '\n' + diffText(e));
        break;
      case 'host-log':
        this.write(`  [${e.host}] ${printable(e.message)}\n`);
        break;
      case 'checkpoint':
        this.write(checkpointLine(e));
        break;
      case 'run-end':
        this.write(endText(e));
        break;
    }
  }
}
