// The journal as an engine sink: every event becomes one line of journal.jsonl. The engine awaits
// `emit`, and a record that must survive a crash of the machine is on disk (fsynced) before emit
// resolves: a `host-undo` before `apply` touches the host, a changed step's result (a command that
// ran must not run again on resume), the run's start, checkpoints and end.
//
// The rest (a step or host starting, a step found in sync, skipped or failed, progress lines) is
// written behind: emit resolves at once, the line goes out with the others of the same turn of the
// event loop, and it is fsynced with the next durable record or when the journal closes. If the
// controller process dies, at most the lines of its last turn are lost, none that any change on a
// host came after (a durable record writes everything before it first); if the machine dies, at
// most the lines since the last durable record. Either way resume only re-checks those steps:
// what they record is what a check finds again. A no-op converge of 50 hosts wrote and fsynced
// 1532 records one by one before (bench/RESULTS.md); now a handful of writes and one fsync.
//
// Group commit: records that arrive while a write is in flight go out together in the next write
// and share its fsync.

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink, RunEvent } from '../engine/events.js';
import type { JournalRecord } from './records.js';
import { JOURNAL_FILE } from './store.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Events that only say how far a run got: after a crash, resume checks those steps again. */
function writtenBehind(event: RunEvent): boolean {
  switch (event.type) {
    case 'step-start':
    case 'host-start':
    case 'host-log':
    case 'step-end':
      return true;
    case 'host-result':
      return event.status !== 'changed';
    default:
      return false;
  }
}

export class JournalSink implements EventSink {
  /** Lines waiting for the next write, and who waits for them to be durable. */
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  /** A durable record is pending: the next write is fsynced. */
  private syncNeeded = false;
  /** The writer loop, while one runs; records never interleave since only it writes. */
  private flushing: Promise<void> | undefined;
  /** Lines written and not yet fsynced. */
  private unsynced = false;
  /** A write that failed with nobody waiting for it (only write-behind lines): close reports it. */
  private failure: unknown;

  private constructor(private readonly file: FileHandle) {}

  /** Open (or continue) the journal of the run in `dir`. */
  static async open(dir: string): Promise<JournalSink> {
    return new JournalSink(await open(join(dir, JOURNAL_FILE), 'a', 0o600));
  }

  emit(event: RunEvent): Promise<void> {
    return this.append(event, writtenBehind(event) ? 'behind' : 'durable');
  }

  /**
   * Write one record; `durable` (the default) resolves once it and every record before it are
   * fsynced. Events arrive already redacted by the engine (its Redactor masks secret values); undo
   * records must stay verbatim, since rollback restores bytes exactly.
   */
  append(record: JournalRecord, mode: 'durable' | 'behind' = 'durable'): Promise<void> {
    this.pending.push(JSON.stringify({ ...record, at: Date.now() }) + '\n');
    if (mode === 'behind') {
      // Started on the next turn, so the records of this one share the write.
      this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.syncNeeded = true;
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending.join('');
      const waiters = this.waiters;
      const sync = this.syncNeeded;
      this.pending = [];
      this.waiters = [];
      this.syncNeeded = false;
      try {
        await this.file.appendFile(lines);
        this.unsynced = !sync;
        if (sync) await this.file.datasync();
        for (const w of waiters) w.resolve();
      } catch (e) {
        if (waiters.length === 0) this.failure ??= e;
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }

  /** Writes and fsyncs what is pending, then closes; a written-behind line that failed fails this. */
  async close(): Promise<void> {
    try {
      while (this.flushing) await this.flushing;
      if (this.unsynced) await this.file.datasync();
    } finally {
      await this.file.close();
    }
    if (this.failure !== undefined) throw this.failure;
  }
}
