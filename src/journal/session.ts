// A journaled play from the CLI's side: take the project lock, create (or continue) the run's
// directory and journal, turn Ctrl-C (and SIGTERM, SIGHUP, closed output) into the engine's abort
// signal, and say afterwards how to go on. `play` and `resume` both go through here, so a run is
// journaled the same way either way.

import { isOutputGone } from '../errors.js';
import type { Inventory, Runbook, Vars } from '../model.js';
import { buildHeader } from './header.js';
import { acquireLock, type Lock } from './lock.js';
import { trimPartialLine } from './reader.js';
import type { PlayFlags } from './records.js';
import { JournalSink } from './sink.js';
import { createRun, newRunId, runDir } from './store.js';

/** Exit status of a play stopped by Ctrl-C or the operator going away: resumable. */
export const EXIT_INTERRUPTED = 99;

export interface JournaledRun {
  id: string;
  sink: JournalSink;
  lock: Lock;
  /** Close the journal and release the lock. */
  end(): Promise<void>;
}

export interface NewRunInput {
  projectDir: string;
  runbook: Runbook;
  inventory: Inventory;
  extraVars: Vars;
  flags: PlayFlags;
  argv: string[];
  warn(message: string): void;
}

export async function beginRun(input: NewRunInput): Promise<JournaledRun> {
  const id = newRunId();
  const lock = acquireLock(input.projectDir, id, input.warn);
  try {
    const dir = await createRun(buildHeader({ ...input, id, options: input.flags }));
    return journaled(id, await JournalSink.open(dir), lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Continue run `id`'s journal: a `resume` marker, then the new attempt's events. */
export async function continueRun(
  projectDir: string,
  id: string,
  marker: { argv: string[]; from?: string; force?: boolean },
  warn: (message: string) => void,
): Promise<JournaledRun> {
  const lock = acquireLock(projectDir, id, warn);
  try {
    const cut = await trimPartialLine(projectDir, id);
    if (cut !== undefined) warn(`the journal of run ${id} ended in a partial record (the controller died mid-write); it was dropped`);
    const sink = await JournalSink.open(runDir(projectDir, id));
    await sink.append({ type: 'resume', pid: process.pid, time: new Date().toISOString(), ...marker });
    return journaled(id, sink, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

function journaled(id: string, sink: JournalSink, lock: Lock): JournaledRun {
  return {
    id,
    sink,
    lock,
    async end() {
      try {
        await sink.close();
      } finally {
        lock.release();
      }
    },
  };
}

/** What stops a run, and what it is told when it does. */
const STOPS = {
  SIGINT: 'interrupted: letting the steps in flight finish (Ctrl-C again to stop at once)',
  SIGTERM: 'terminated (SIGTERM): letting the steps in flight finish (send it again to stop at once)',
  SIGHUP: 'hung up (SIGHUP): letting the steps in flight finish',
} as const;

/**
 * Ctrl-C, and the operator going away, as Terraform treats them: the first SIGINT, SIGTERM (a
 * `kill`, a cancelled CI job, systemd stopping a unit) or SIGHUP (the terminal, or the SSH session
 * to the bastion, closed) aborts the returned signal: steps in flight finish and are journaled,
 * nothing new starts, the hosts' locks are released, and the run exits 99, resumable. A second
 * signal exits at once. Output nobody reads any more (`| head`, a closed terminal) stops the run
 * the same way instead of crashing it mid-step. Either way the journal stays consistent: every
 * change on a host came after its undo record was fsynced. `dispose` restores default handling.
 */
export function interruptOnSignals(say: (message: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (message: string) => {
    if (controller.signal.aborted) return;
    say(message);
    controller.abort();
  };
  const onSignal = (name: keyof typeof STOPS) => {
    if (!controller.signal.aborted) return stop(STOPS[name]);
    say('stopped at once; the run can still be resumed');
    process.exit(EXIT_INTERRUPTED);
  };
  const onOutputError = (e: Error) => {
    if (isOutputGone(e)) stop('output closed: letting the steps in flight finish');
  };
  const names = Object.keys(STOPS) as Array<keyof typeof STOPS>;
  for (const name of names) process.on(name, onSignal);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onOutputError);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of names) process.off(name, onSignal);
      for (const stream of [process.stdout, process.stderr]) stream.off('error', onOutputError);
    },
  };
}

/** The command that goes on with a run that stopped. */
export function resumeCommand(id: string): string {
  return `runbook resume ${id}`;
}
