// --json: every event as one line of JSON (NDJSON), for scripts and dashboards.

import type { EventSink, RunEvent } from '../engine/events.js';

export class JsonSink implements EventSink {
  constructor(private readonly write: (text: string) => void) {}

  emit(e: RunEvent): void {
    this.write(JSON.stringify(e, withoutUndo) + '\n');
  }
}

// Undo records carry previous file contents verbatim (rollback restores bytes exactly), secrets
// included; they belong in the private journal only, never on stdout.
function withoutUndo(this: unknown, key: string, value: unknown): unknown {
  return key === 'undo' ? undefined : value;
}
