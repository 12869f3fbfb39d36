// The journal as an engine sink: every event becomes one line of journal.jsonl, appended and
// fsynced before `emit` resolves. The engine awaits emit, so a `host-undo` is on disk before
// `apply` touches the host, and whatever moment the controller dies at, the file holds every
// event up to the last action started (at worst plus half a line, which the reader drops).
//
// Group commit: records that arrive while a write is in flight go out together in the next write
// and share its fsync. Each emit still resolves only once its own record is on disk, so the
// guarantee above holds per host, while 50 hosts no longer queue for 50 fsyncs one after another.

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink, RunEvent } from '../engine/events.js';
import type { JournalRecord } from './records.js';
import { JOURNAL_FILE } from './store.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class JournalSink implements EventSink {
  /** Lines waiting for the next write, and who waits for them. */
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  /** The writer loop, while one runs; records never interleave since only it writes. */
  private flushing: Promise<void> | undefined;

  private constructor(private readonly file: FileHandle) {}

  /** Open (or continue) the journal of the run in `dir`. */
  static async open(dir: string): Promise<JournalSink> {
    return new JournalSink(await open(join(dir, JOURNAL_FILE), 'a', 0o600));
  }

  emit(event: RunEvent): Promise<void> {
    return this.append(event);
  }

  /**
   * Write one record durably. Events arrive already redacted by the engine (its Redactor masks
   * secret values); undo records must stay verbatim, since rollback restores bytes exactly.
   */
  append(record: JournalRecord): Promise<void> {
    const line = JSON.stringify({ ...record, at: Date.now() }) + '\n';
    return new Promise((resolve, reject) => {
      this.pending.push(line);
      this.waiters.push({ resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.file.appendFile(lines);
        await this.file.datasync();
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.file.close();
  }
}
