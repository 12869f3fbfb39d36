// The journal as an engine sink: every event becomes one line of journal.jsonl, appended and
// fsynced before `emit` resolves. The engine awaits emit, so a `host-undo` is on disk before
// `apply` touches the host, and whatever moment the controller dies at, the file holds every
// event up to the last action started (at worst plus half a line, which the reader drops).

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink, RunEvent } from '../engine/events.js';
import type { JournalRecord } from './records.js';
import { JOURNAL_FILE } from './store.js';

export class JournalSink implements EventSink {
  /** Hosts emit concurrently; writes are chained so two records never interleave. */
  private tail: Promise<void> = Promise.resolve();

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
    const write = this.tail.then(async () => {
      await this.file.appendFile(line);
      await this.file.datasync();
    });
    this.tail = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.file.close();
  }
}
