// One run at a time per project directory: `.runbook/lock`, created with O_EXCL, holding the
// owner's pid, its start time and the run id. A lock whose process is gone (the controller was
// killed) is taken over with a warning; the start time tells a live owner from an unrelated
// process that was given the same pid later (after a reboot, or pid wrap-around). The lock is removed when the process exits, however it exits short of SIGKILL.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { pidAlive } from './state.js';
import { stateDir } from './store.js';

export interface LockOwner {
  pid: number;
  runId: string;
  /** The owner's start time (/proc/<pid>/stat, clock ticks since boot); absent where unknown. */
  start?: number;
}

export interface Lock {
  readonly path: string;
  readonly runId: string;
  /** Remove the lock (idempotent); also done automatically at process exit. */
  release(): void;
}

export function lockPath(projectDir: string): string {
  return join(stateDir(projectDir), 'lock');
}

/**
 * Take the project's lock for `runId`. Throws UserError 'locked' when a live process holds it;
 * `warn` is told when a stale lock is taken over.
 */
export function acquireLock(projectDir: string, runId: string, warn: (message: string) => void): Lock {
  const path = lockPath(projectDir);
  mkdirSync(stateDir(projectDir), { recursive: true, mode: 0o700 });
  const mine = JSON.stringify({ pid: process.pid, runId, start: processStart(process.pid) } satisfies LockOwner) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      return holdLock(path, runId, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner && owner.pid !== process.pid && ownerAlive(owner)) {
      throw new UserError('locked', `another runbook run (${owner.runId}, pid ${owner.pid}) holds ${path}`, {
        hint: 'wait for it to finish; one run at a time per project directory',
      });
    }
    warn(
      owner
        ? `taking over a stale lock of ${owner.runId} (its process ${owner.pid} is gone)`
        : `taking over an unreadable lock file ${path}`,
    );
    // Two controllers taking over the same stale lock at the same instant could both succeed;
    // one user at one project directory does not do that, so no cleverer protocol is used.
    tryUnlink(path);
  }
  throw new UserError('locked', `could not take the lock ${path}`, { hint: 'another runbook may be starting; try again' });
}

/** The pid is alive and is still the process that took the lock. */
function ownerAlive(owner: LockOwner): boolean {
  if (!pidAlive(owner.pid)) return false;
  const start = processStart(owner.pid);
  return owner.start === undefined || start === undefined || start === owner.start;
}

/** When a process started (field 22 of /proc/<pid>/stat), or undefined without /proc. */
export function processStart(pid: number): number | undefined {
  const stat = readFileSafe(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces and ')': count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

function holdLock(path: string, runId: string, content: string): Lock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Never remove a lock another process took over in the meantime.
    if (readFileSafe(path) === content) tryUnlink(path);
  };
  process.on('exit', release);
  return { path, runId, release };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSafe(path) ?? '') as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
