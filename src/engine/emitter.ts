// Delivers events to every sink strictly in order, even when hosts run concurrently: each emit
// waits for the previous one, and its promise settles only once every sink has taken the event
// (the journal has fsynced it, if it is one an action on the host must come after: journal/sink.ts),
// so the caller may then act on the host.

import type { EventSink, RunEvent } from './events.js';

export class Emitter {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly sinks: EventSink[]) {}

  emit(event: RunEvent): Promise<void> {
    const next = this.last.then(async () => {
      for (const sink of this.sinks) await sink.emit(event);
    });
    // A failing sink fails this emit; later events still go out.
    this.last = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.last;
    for (const sink of this.sinks) await sink.close?.();
  }
}
