// Undo records for anything at a path: what was there before a task changed it, and how to put it
// back byte for byte (content, mode, owner; a link's target; nothing, when nothing was there).
//
// A record is plain JSON, made by `check` from a probe and journaled before `apply` runs. Small
// file contents travel inline (base64). Bigger files, and whole directory trees a task is about
// to remove, are copied on the host at the start of `apply` into the backup store (backup-store.ts):
// files under their sha256 (content-addressed, so the same content is kept once), trees as a tar
// under a name chosen by `check`, whose sha256 apply adds to the record. Nothing is restored from
// a backup whose hash is not the recorded one, and every restore is verified afterwards.

import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { expectSize, placeTemp, tempBeside } from '../transport/atomic-replace.js';
import type { HostShell } from '../transport/host.js';
import { raw, sh, type ShellText } from '../shell/quote.js';
import { TaskError } from '../errors.js';
import { BACKUP_CHANGED, backupTarScript, parseBackupHash, restoreTarScript, verifiedBackupScript, verifyBackupScript } from './backup-store.js';
import { parsePathState, PROBE_FUNCTION, probeScript, splitSections, type PathState } from './probe.js';

/** Files up to this size travel inline in an undo record; bigger ones are backed up on the host. */
export const INLINE_LIMIT = 64 * 1024;

export interface PriorOwner {
  path: string;
  /** Permission bits, '644' / '2755'. */
  mode: string;
  uid: number;
  gid: number;
}

/**
 * What the run leaves at the path, so that rollback can tell a later change (by hand, by another
 * tool) from its own and refuse to overwrite it. `onlyDirectories`: a tree of directories the run
 * made (mkdir -p), with nothing else in it.
 */
export type Left =
  | { type: 'absent' }
  | { type: 'file'; sha256: string }
  | { type: 'link'; target: string }
  | { type: 'directory'; onlyDirectories: boolean };

export type Prior = (
  | { type: 'absent'; path: string }
  /** `backup`: the name of the copy in the backup store (its sha256 is the file's). */
  | (PriorOwner & { type: 'file'; sha256: string; content?: string; backup?: string })
  | (PriorOwner & { type: 'link'; target: string })
  /**
   * `backup`: the name of a tar of the whole tree in the backup store, for tasks that remove or
   * replace the directory; `backupSha256`: its hash, added by apply once the tar is made.
   */
  | (PriorOwner & { type: 'directory'; backup?: string; backupSha256?: string })
  /** Only owners and modes changed (chown/chmod, maybe recursive): each changed entry as it was. */
  | { type: 'attrs'; path: string; entries: PriorOwner[] }
) & { left?: Left };

/**
 * The record that restores `state`. `wholeTree`: the task will remove or replace a directory
 * there, so its contents are backed up too.
 */
export function priorOf(state: PathState, options: { wholeTree?: boolean } = {}): Prior {
  const { path } = state;
  if (state.type === 'absent') return { type: 'absent', path };
  const owner = { path, mode: state.mode, uid: state.uid, gid: state.gid };
  switch (state.type) {
    case 'file':
      return state.content !== undefined && state.size <= INLINE_LIMIT
        ? { ...owner, type: 'file', sha256: state.sha256, content: state.content.toString('base64') }
        : { ...owner, type: 'file', sha256: state.sha256, backup: state.sha256 };
    case 'link':
      return { ...owner, type: 'link', target: state.target };
    case 'directory':
      return options.wholeTree ? { ...owner, type: 'directory', backup: `tree-${randomUUID()}.tar` } : { ...owner, type: 'directory' };
    case 'other':
      throw new Error(`cannot record ${path}: not a file, directory or link`);
  }
}

/**
 * Script text for apply to run before it changes anything: makes the backup the record names, if
 * any. Run it under `set -e` and keep it free of `&&` lists, whose failures set -e ignores. A tree
 * backup prints its hash: pass apply's output to `recordedBackup` for the record to keep.
 */
export function backupScript(prior: Prior): ShellText {
  if (prior.type === 'file' && prior.backup) return verifiedBackupScript(prior.path, prior.backup, prior.sha256);
  if (prior.type === 'directory' && prior.backup) {
    return backupTarScript(prior.backup, sh`-C ${posix.dirname(prior.path)} ${'./' + posix.basename(prior.path)}`);
  }
  return raw(':');
}

/** The record with the hash of the tree backup that `backupScript` made, read from apply's output. */
export function recordedBackup(prior: Prior, stdout: string): Prior {
  if (prior.type !== 'directory' || !prior.backup) return prior;
  return { ...prior, backupSha256: parseBackupHash(stdout) };
}

/** chmod with the leading zero GNU chmod needs to also clear a directory's setgid bit. */
export function chmodMode(mode: string): string {
  return '0' + mode.padStart(4, '0');
}

/** What changed at the record's path since the run left it there (undefined: nothing, or not known). */
export async function driftOf(shell: HostShell, prior: Prior): Promise<string | undefined> {
  const { left, path } = prior;
  if (!left) return undefined;
  const others = left.type === 'directory' && left.onlyDirectories ? sh`rb_section others; if [ -d ${path} ]; then find ${path} ! -type d -print0 | head -c 4096; fi` : raw(':');
  const r = await shell.run(sh`${PROBE_FUNCTION}
${probeScript('p', path)}
${others}`);
  const sections = splitSections(r.stdout);
  const now = parsePathState(sections.get('p'));
  if (now.type !== left.type) return `${path} is ${now.type === 'absent' ? 'gone' : `now a ${now.type}`} (the run left ${left.type === 'absent' ? 'nothing' : `a ${left.type}`} there)`;
  if (left.type === 'file' && now.type === 'file' && now.sha256 !== left.sha256) return `${path} was changed since the run (its content is not what the run wrote)`;
  if (left.type === 'link' && now.type === 'link' && now.target !== left.target) return `${path} now points to ${now.target} (the run left it pointing to ${left.target})`;
  const added = (sections.get('others') ?? '').split('\0').filter(Boolean);
  if (added.length) return `${added.length === 1 ? `${added[0]} was` : `${added.length}+ entries (${added[0]}, ...) were`} added under ${path} since the run`;
  return undefined;
}

/** Put back what the record describes, then check that the host holds exactly that. */
export async function restore(shell: HostShell, prior: Prior): Promise<void> {
  const { path } = prior;
  const clearDir = sh`if [ -d ${path} ] && [ ! -L ${path} ]; then rm -rf -- ${path}; fi`;
  switch (prior.type) {
    case 'absent':
      await shell.run(sh`rm -rf -- ${path}`);
      break;
    case 'link':
      await shell.run(sh`set -e
rm -rf -- ${path}
ln -s -- ${prior.target} ${path}
chown -h ${`${prior.uid}:${prior.gid}`} -- ${path}`);
      break;
    case 'file': {
      const fill = prior.content !== undefined ? raw('base64 -d > "$t"') : sh`${verifyBackupScript(prior.backup ?? '', prior.sha256)}
cat -- "$rb_b"/${prior.backup ?? ''} > "$t"`;
      await runRestore(
        shell,
        sh`set -e
${clearDir}
${tempBeside(path)}
${fill}
${prior.content !== undefined ? expectSize(Buffer.byteLength(prior.content, 'base64')) : raw(':')}
chown ${`${prior.uid}:${prior.gid}`} "$t"
chmod ${chmodMode(prior.mode)} "$t"
${placeTemp(path)}`,
        prior.content ?? '',
      );
      break;
    }
    case 'attrs':
      await restoreAttrs(shell, prior.entries);
      break;
    case 'directory':
      if (prior.backup) {
        if (!prior.backupSha256) {
          throw new TaskError(`cannot restore ${path}: the run stopped before it recorded the hash of its backup ${prior.backup}`, {
            hint: `the tar is in the host's backup store (/var/lib/runbook/backups for root); check it and restore it by hand`,
          });
        }
        await runRestore(shell, sh`set -e
rm -rf -- ${path}
mkdir -p -- ${posix.dirname(path)}
${restoreTarScript(prior.backup, prior.backupSha256, posix.dirname(path))}`);
      } else {
        await shell.run(sh`set -e
chown ${`${prior.uid}:${prior.gid}`} -- ${path}
chmod ${chmodMode(prior.mode)} -- ${path}`);
      }
      break;
  }
  await verifyRestored(shell, prior);
}

/** Runs a restore script, turning the backup store's refusals into a clear error. */
async function runRestore(shell: HostShell, script: ShellText, stdin?: string): Promise<void> {
  const r = await shell.run(script, { stdin, check: false });
  if (r.code === 0) return;
  const why = r.stderr.trim().split('\n').pop() ?? '';
  throw new TaskError(`restoring failed: ${why || `exit ${r.code}`}`, {
    hint: r.code === BACKUP_CHANGED ? 'the backup is not what this run made; it was not used. Find out who changed it' : undefined,
  });
}

/** What is at the path now must be what the record describes, or the rollback did not happen. */
async function verifyRestored(shell: HostShell, prior: Prior): Promise<void> {
  if (prior.type === 'attrs') return;
  const r = await shell.run(sh`${PROBE_FUNCTION}
${probeScript('p', prior.path)}`);
  const now: PathState = parsePathState(splitSections(r.stdout).get('p'));
  const wrong = (what: string) => {
    throw new TaskError(`restored ${prior.path}, but ${what}`, { hint: 'look at the path by hand: the rollback did not put it back' });
  };
  if (now.type !== prior.type) wrong(`found a ${now.type} where a ${prior.type} was`);
  if (prior.type === 'file' && now.type === 'file' && now.sha256 !== prior.sha256) wrong('its content differs from the recorded one');
  if (prior.type === 'link' && now.type === 'link' && now.target !== prior.target) wrong(`it points to ${now.target}, not ${prior.target}`);
}

/**
 * Owners and modes of many entries: the list goes through stdin (one `mode uid gid base64(path)`
 * line each), since a script is limited to 128 KiB. chown first: it clears setuid bits.
 */
async function restoreAttrs(shell: HostShell, entries: PriorOwner[]): Promise<void> {
  const lines = entries.map((e) => `${chmodMode(e.mode)} ${e.uid} ${e.gid} ${Buffer.from(e.path).toString('base64')}\n`).join('');
  await shell.run(
    raw(`while read -r m u g p; do
  f=$(printf '%s' "$p" | base64 -d; echo x); f=\${f%x}
  chown -h "$u:$g" -- "$f" || exit 1
  if [ ! -L "$f" ]; then chmod "$m" -- "$f" || exit 1; fi
done`),
    { stdin: lines },
  );
}
