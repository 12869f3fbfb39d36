// Long-lived processes the lab starts (host inits, apt-cacher-ng, the artifact mirror) outlive the
// `runbook lab up` that started them. They are recorded by pid AND start time, so `lab down`
// never signals an unrelated process that happens to have reused the pid.

import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

/** The process's start time, or undefined once it has exited (a zombie has exited too). */
async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

export async function processRef(pid: number): Promise<ProcessRef> {
  const startTime = await startTimeOf(pid);
  if (startTime === undefined) throw new Error(`process ${pid} exited right after it started`);
  return { pid, startTime };
}

export async function isAlive(ref: ProcessRef): Promise<boolean> {
  return (await startTimeOf(ref.pid)) === ref.startTime;
}

/** Start a daemon in its own session, its output appended to `logFile`, detached from us. */
export async function startDaemon(cmd: string, args: string[], logFile: string): Promise<ProcessRef> {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    return await processRef(pid);
  } finally {
    closeSync(log);
  }
}

/** Send `signal` if the recorded process is still the one we started. */
export async function signal(ref: ProcessRef, sig: NodeJS.Signals | number): Promise<void> {
  if (!(await isAlive(ref))) return;
  try {
    process.kill(ref.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Wait up to `ms` for the process to exit; true if it did. */
export async function waitExit(ref: ProcessRef, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await isAlive(ref)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Ask politely, then insist: `sig`, up to `graceMs` to exit, then SIGKILL. */
export async function stop(ref: ProcessRef | undefined, sig: NodeJS.Signals | number, graceMs: number): Promise<void> {
  if (!ref) return;
  await signal(ref, sig);
  if (await waitExit(ref, graceMs)) return;
  await signal(ref, 'SIGKILL');
  await waitExit(ref, 5000);
}

/** The first child of a process (e.g. the process `unshare --fork` made), once it has one. */
export async function childOf(ref: ProcessRef, expectComm: string, timeoutMs: number): Promise<ProcessRef> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const comm = await readFile(`/proc/${ref.pid}/comm`, 'utf8').catch(() => undefined);
    if (comm === undefined || !(await isAlive(ref))) throw new Error(`process ${ref.pid} exited early`);
    if (comm.trim() === expectComm) {
      const children = await readFile(`/proc/${ref.pid}/task/${ref.pid}/children`, 'utf8').catch(() => '');
      const first = Number(children.trim().split(' ')[0]);
      if (first > 0) return processRef(first);
    }
    if (Date.now() > deadline) throw new Error(`process ${ref.pid} made no child in ${timeoutMs} ms`);
    await sleep(50);
  }
}
