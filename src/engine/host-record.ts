// What a run leaves on every host it changes, so that a team sees it from any machine: a lock,
// taken before the first change and released at the end, and one history line per run. Both live
// under /var/lib/runbook (a host's `runbook_host_dir` var moves them) and are reached over the same
// SSH connection with `sh` alone, as root (sudo when the login is not root).
//
// The lock is a directory (mkdir is atomic: of two controllers only one makes it) holding
// holder.json, whose modification time the holder renews every minute. A lock held by the same
// run (a resume after the controller died) is taken over; one not renewed for ten minutes is
// stale and taken over with a warning; any other is a refusal naming who holds it since when.
//
// Over 300 lines for a reason: the lock and the history are one protocol on the host, taken,
// renewed and ended together (the history line and the release go in one script).

import { hostname, userInfo } from 'node:os';
import { UserError } from '../errors.js';
import { sh, type ShellText } from '../shell/quote.js';
import type { InventoryHost, Vars } from '../model.js';
import { resolveBecome } from '../transport/become.js';
import type { HostShell } from '../transport/host.js';
import { machineOf } from './machine.js';

export const DEFAULT_HOST_DIR = '/var/lib/runbook';
/** The host var that moves the lock and the history (a host whose /var is read-only; tests). */
export const HOST_DIR_VAR = 'runbook_host_dir';
export const RENEW_EVERY_MS = 60_000;
export const STALE_AFTER_S = 600;

export interface LockHolder {
  run: string;
  runbook: string;
  operator: string;
  controller: string;
  since: string;
}

/** One line of history.jsonl: a run as this host saw it. */
export interface HistoryRecord {
  run: string;
  runbook: string;
  runbook_hash: string;
  /** The ops repository's commit, and whether it had uncommitted changes. */
  commit?: string;
  dirty?: boolean;
  operator: string;
  controller: string;
  start: string;
  end: string;
  result: 'ok' | 'failed' | 'unreachable' | 'interrupted';
  changed: string[];
  /** The inventory hosts this line stands for, when several share the machine (instances). */
  hosts?: string[];
}

/**
 * Makes the directory if missing, then refuses one that is a link, not ours (root's) or writable by
 * others: root appends to history.jsonl and makes the lock in it, and a file another user could
 * plant there (a link to /etc/shadow) would be written through.
 */
function ownDir(dir: string) {
  return sh`umask 022; d=${dir}
[ -d "$d" ] || mkdir -p -- "$d"
if [ -L "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ] || [ -n "$(find "$d" -maxdepth 0 -perm /022)" ]; then
  echo "$d must be a directory of $(id -un) that nobody else can write, not a link" >&2; exit 77
fi`;
}

/** Who runs runbook here: RUNBOOK_OPERATOR (a CI job's name, say), else the login name. */
export function operator(): string {
  return process.env.RUNBOOK_OPERATOR || userInfo().username;
}

export function holderFor(run: string, runbook: string): LockHolder {
  return { run, runbook, operator: operator(), controller: hostname(), since: new Date().toISOString() };
}

export function describeHolder(h: Partial<LockHolder> | undefined): string {
  if (!h?.run) return 'a run that left no holder record';
  return `run ${h.run} of ${h.runbook ?? '?'} (${h.operator ?? '?'}@${h.controller ?? '?'}) since ${h.since ?? '?'}`;
}

export interface HeldLock {
  holder?: Partial<LockHolder>;
  /** Seconds since the holder last renewed it. */
  age: number;
}

/** Reads who holds the lock, if anyone. */
export async function readLock(shell: HostShell, dir: string): Promise<HeldLock | undefined> {
  const r = await shell.run(sh`d=${dir}/lock
[ -d "$d" ] || exit 0
echo held; now=$(date +%s); t=$(stat -c %Y "$d/holder.json" 2>/dev/null || stat -c %Y "$d"); echo $((now - t))
cat "$d/holder.json" 2>/dev/null || true`);
  return parseHeld(r.stdout);
}

function parseHeld(out: string): HeldLock | undefined {
  const [mark, age, ...rest] = out.split('\n');
  if (mark !== 'held') return undefined;
  let holder: Partial<LockHolder> | undefined;
  try {
    holder = JSON.parse(rest.join('\n')) as Partial<LockHolder>;
  } catch {
    holder = undefined; // being written this instant, or damaged
  }
  return { age: Number(age) || 0, ...(holder ? { holder } : {}) };
}

/** Takes the lock for `me`, or throws a UserError 'locked' naming its holder. */
export async function takeLock(shell: HostShell, host: string, dir: string, me: LockHolder, warn: (m: string) => void, takeOverFrom: string[] = []): Promise<void> {
  const holder = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await shell.run(sh`set -e
${ownDir(dir)}
if mkdir "$d/lock" 2>/dev/null; then printf '%s\\n' ${holder} > "$d/lock/holder.json"; echo taken; exit 0; fi
echo held; now=$(date +%s); t=$(stat -c %Y "$d/lock/holder.json" 2>/dev/null || stat -c %Y "$d/lock"); echo $((now - t))
cat "$d/lock/holder.json" 2>/dev/null || true`);
    if (r.stdout.startsWith('taken')) return;
    const held = parseHeld(r.stdout)!;
    if (held.holder?.run === me.run || (held.holder?.run !== undefined && takeOverFrom.includes(held.holder.run))) {
      // This run's own lock, from an attempt whose controller died (a resume carries on with it),
      // or that of the run a rollback undoes, which is over.
      await shell.run(sh`printf '%s\\n' ${holder} > ${dir}/lock/holder.json`);
      return;
    }
    if (held.age < STALE_AFTER_S) {
      throw new UserError('locked', `${host} is locked by ${describeHolder(held.holder)}`, {
        host,
        hint: `wait until that run ends; if its controller is gone, \`runbook unlock -i <inventory> --host ${host}\` breaks it (a lock not renewed for ${STALE_AFTER_S / 60} minutes is taken over by the next run)`,
      });
    }
    warn(`${host}: taking over the stale lock of ${describeHolder(held.holder)}, not renewed for ${held.age} s`);
    await breakLock(shell, dir);
  }
  throw new UserError('locked', `${host}: could not take the lock in ${dir}`, { host, hint: 'another run may be starting there; try again' });
}

/** Removes the lock, whoever holds it: renamed first, so only one of two breakers removes it. */
export async function breakLock(shell: HostShell, dir: string): Promise<void> {
  await shell.run(sh`d=${dir}; if mv "$d/lock" "$d/lock.broken.$$" 2>/dev/null; then rm -rf "$d/lock.broken.$$"; fi`);
}

/** Renews the lock, or releases it, only while it is still this run's (someone may have broken it). */
export async function renewLock(shell: HostShell, dir: string, run: string): Promise<void> {
  await shell.run(sh`f=${dir}/lock/holder.json; if grep -qF ${`"run":${JSON.stringify(run)}`} "$f" 2>/dev/null; then touch "$f"; fi`);
}

export async function releaseLock(shell: HostShell, dir: string, run: string): Promise<void> {
  await shell.run(releaseScript(dir, run));
}

/**
 * Releases the lock if it still is `run`'s: renamed first, as breakLock does. Reads the holder
 * with the shell's own `read` (one line, written by takeLock), not a grep: every run ends here.
 */
function releaseScript(dir: string, run: string): ShellText {
  return sh`d=${dir}; rb_h=
if [ -f "$d/lock/holder.json" ]; then IFS= read -r rb_h < "$d/lock/holder.json" || :; fi
case $rb_h in *${`"run":${JSON.stringify(run)}`}*) if mv "$d/lock" "$d/lock.done.$$" 2>/dev/null; then rm -rf "$d/lock.done.$$"; fi ;; esac`;
}

/**
 * The end of a run on a host, in one round trip: appends the run's line to history.jsonl (one
 * write of one line: appends do not interleave), then releases the lock. A history that cannot
 * be written does not keep the lock: its error is returned, and the lock released all the same.
 */
export async function appendHistoryAndRelease(shell: HostShell, dir: string, record: HistoryRecord, run: string): Promise<string | undefined> {
  const r = await shell.run(sh`if ! rb_e=$( { ${ownDir(dir)}
printf '%s\\n' ${JSON.stringify(record)} >> "$d/history.jsonl"; } 2>&1 ); then printf '%s%s\\n' ${HISTORY_FAILED} "$rb_e"; fi
${releaseScript(dir, run)}`);
  const at = r.stdout.indexOf(HISTORY_FAILED);
  return at < 0 ? undefined : r.stdout.slice(at + HISTORY_FAILED.length).trim() || 'it could not be written';
}

const HISTORY_FAILED = 'history not written: ';

/** The newest `count` records of history.jsonl, oldest first; damaged lines are left out. */
export async function readHistory(shell: HostShell, dir: string, count: number): Promise<HistoryRecord[]> {
  const r = await shell.run(sh`tail -n ${count} ${dir}/history.jsonl 2>/dev/null || true`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as HistoryRecord];
      } catch {
        return [];
      }
    });
}

/**
 * The ops repository's commit and whether it has uncommitted changes; nothing outside a git work
 * tree. One git process (porcelain v2 names the commit in its branch header): starting a process
 * costs the controller's one thread tens of milliseconds.
 */
export async function repositoryState(projectDir: string): Promise<{ commit?: string; dirty?: boolean }> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string | undefined>((resolve) =>
    execFile('git', ['-C', projectDir, 'status', '--porcelain=v2', '--branch'], { timeout: 10_000 }, (e, stdout) => resolve(e ? undefined : stdout)),
  );
  const commit = out?.match(/^# branch\.oid ([0-9a-f]{40,64})$/m)?.[1];
  if (!commit) return {};
  return { commit, dirty: out!.split('\n').some((line) => line !== '' && !line.startsWith('#')) };
}

export interface LockedHost {
  name: string;
  /** Where its connection lands (machine.ts): members of one machine share its lock. */
  machine: string;
  /** A root shell on the host (sudo when the login is not root). */
  shell: HostShell;
  dir: string;
}

/**
 * The host as a run locks it: a root shell (sudo with the host's become settings when the login is
 * not root) and its directory. A host reached with connection local is the controller itself,
 * which the project's own lock already serializes: none.
 */
export function lockedHost(host: InventoryHost, login: HostShell, vars: Vars): LockedHost | undefined {
  if (host.connection !== 'ssh') return undefined;
  const dir = typeof vars[HOST_DIR_VAR] === 'string' ? (vars[HOST_DIR_VAR] as string) : DEFAULT_HOST_DIR;
  if (!dir.startsWith('/')) throw new UserError('vars', `${HOST_DIR_VAR} of ${host.name} must be an absolute path, got ${JSON.stringify(dir)}`, { host: host.name });
  return { name: host.name, machine: machineOf(host), shell: login.withBecome(resolveBecome({ become: true, becomeUser: 'root' }, host, vars)), dir };
}

export interface RunRecords {
  /** Stops renewing, appends each host's history line and releases its lock; never throws. */
  finish(results: Map<string, Pick<HistoryRecord, 'result' | 'changed'>>): Promise<void>;
}

/**
 * Locks every host before the run changes any (all or none: a refusal releases those taken), and
 * renews them while it runs. Members of one machine (instances) share one lock in one directory,
 * taken once, and one history line, naming them.
 */
export async function lockHosts(
  hosts: LockedHost[],
  run: { id: string; runbook: string; runbookHash: string; projectDir: string; takeOverFrom?: string[] },
  warn: (m: string) => void,
): Promise<RunRecords> {
  // Asked of git while the locks are taken, and wanted only when the run ends: `git status` in a
  // large repository is slow, and no step waits for it.
  const repository = repositoryState(run.projectDir);
  const me = holderFor(run.id, run.runbook);
  const machines = byMachine(hosts);
  const taken: LockedHost[][] = [];
  const outcomes = await Promise.allSettled(
    machines.map(async (members) => {
      const h = members[0];
      try {
        await takeLock(h.shell, h.name, h.dir, me, warn, run.takeOverFrom);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError('locked', `${h.name}: cannot take the run lock in ${h.dir}: ${(e as Error).message}`, {
          host: h.name,
          hint: `runbook keeps its lock and history there as root: let the login become root (sudo; ansible_become_password), or set ${HOST_DIR_VAR} to a directory it can write`,
        });
      }
      taken.push(members);
    }),
  );
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (refused) {
    await Promise.allSettled(taken.map(([h]) => releaseLock(h.shell, h.dir, run.id)));
    throw refused.reason;
  }
  const renew = setInterval(() => {
    for (const [h] of taken) renewLock(h.shell, h.dir, run.id).catch((e: unknown) => warn(`${h.name}: could not renew the lock: ${(e as Error).message}`));
  }, RENEW_EVERY_MS);
  renew.unref();
  return {
    async finish(results) {
      clearInterval(renew);
      const end = new Date().toISOString();
      await Promise.allSettled(
        taken.map(async (members) => {
          const h = members[0];
          const result = machineResult(members.map((m) => results.get(m.name) ?? { result: 'ok', changed: [] }));
          const names = members.length > 1 ? { hosts: members.map((m) => m.name) } : {};
          const record = { run: run.id, runbook: run.runbook, runbook_hash: run.runbookHash, ...(await repository), operator: me.operator, controller: me.controller, start: me.since, end, ...result, ...names };
          try {
            const historyError = await appendHistoryAndRelease(h.shell, h.dir, record, run.id);
            if (historyError !== undefined) warn(`${h.name}: could not append to ${h.dir}/history.jsonl: ${historyError}`);
          } catch (e) {
            warn(`${h.name}: could not append the history line or release the lock in ${h.dir}: ${(e as Error).message}`);
          }
        }),
      );
    },
  };
}

/** The hosts grouped by the lock they share: one machine, one lock directory. */
function byMachine(hosts: LockedHost[]): LockedHost[][] {
  const groups = new Map<string, LockedHost[]>();
  for (const h of hosts) {
    const key = `${h.machine}\n${h.dir}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  return [...groups.values()];
}

const WORST: HistoryRecord['result'][] = ['unreachable', 'failed', 'interrupted', 'ok'];

/** A machine's line: its worst member's result, and every step that changed any member. */
function machineResult(results: Pick<HistoryRecord, 'result' | 'changed'>[]): Pick<HistoryRecord, 'result' | 'changed'> {
  const result = WORST.find((w) => results.some((r) => r.result === w)) ?? 'ok';
  return { result, changed: [...new Set(results.flatMap((r) => r.changed))] };
}
