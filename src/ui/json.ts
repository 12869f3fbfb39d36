// --json: every event as one line of JSON (NDJSON), for scripts and dashboards.

import type { EventSink, RunEvent } from '../engine/events.js';

export class JsonSink implements EventSink {
  constructor(private readonly write: (text: string) => void) {}

  emit(e: RunEvent): void {
    this.write(JSON.stringify(e) + '\n');
  }
}
