// Undo records for anything at a path: what was there before a task changed it, and how to put it
// back byte for byte (content, mode, owner; a link's target; nothing, when nothing was there).
//
// A record is plain JSON, made by `check` from a probe and journaled before `apply` runs. Small
// file contents travel inline (base64). Bigger files, and whole directory trees a task is about
// to remove, are copied on the host by `backupScript` at the start of `apply`, to a path the
// record already names: files under their sha256 (content-addressed, so the same content is kept
// once), trees as a tar under a name chosen by `check`.

import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { expectSize, raw, sh, tempFileBeside, type HostShell, type ShellText } from 'runbook';
import type { PathState } from './probe.js';

/** Where apply keeps backups on the host (mode 0700). */
export const BACKUP_DIR = '/var/tmp/runbook/backups';
/** Files up to this size travel inline in an undo record; bigger ones are backed up on the host. */
export const INLINE_LIMIT = 64 * 1024;

export interface PriorOwner {
  path: string;
  /** Permission bits, '644' / '2755'. */
  mode: string;
  uid: number;
  gid: number;
}

export type Prior =
  | { type: 'absent'; path: string }
  | (PriorOwner & { type: 'file'; sha256: string; content?: string; backup?: string })
  | (PriorOwner & { type: 'link'; target: string })
  /** `backup`: a tar of the whole tree, for tasks that remove or replace the directory. */
  | (PriorOwner & { type: 'directory'; backup?: string })
  /** Only owners and modes changed (chown/chmod, maybe recursive): each changed entry as it was. */
  | { type: 'attrs'; path: string; entries: PriorOwner[] };

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
        : { ...owner, type: 'file', sha256: state.sha256, backup: posix.join(BACKUP_DIR, state.sha256) };
    case 'link':
      return { ...owner, type: 'link', target: state.target };
    case 'directory':
      return options.wholeTree ? { ...owner, type: 'directory', backup: posix.join(BACKUP_DIR, `tree-${randomUUID()}.tar`) } : { ...owner, type: 'directory' };
    case 'other':
      throw new Error(`cannot record ${path}: not a file, directory or link`);
  }
}

/**
 * Script text for apply to run before it changes anything: makes the backup the record names, if
 * any. Run it under `set -e` and keep it free of `&&` lists, whose failures set -e ignores.
 */
export function backupScript(prior: Prior): ShellText {
  if (prior.type === 'file' && prior.backup) {
    return sh`${ensureBackupDir()}
if [ ! -f ${prior.backup} ]; then
  cp -- ${prior.path} ${prior.backup + '.part'}
  mv -f -- ${prior.backup + '.part'} ${prior.backup}
fi`;
  }
  if (prior.type === 'directory' && prior.backup) {
    return sh`${ensureBackupDir()}
tar --numeric-owner --no-unquote -cpf ${prior.backup + '.part'} -C ${posix.dirname(prior.path)} ${'./' + posix.basename(prior.path)}
mv -f -- ${prior.backup + '.part'} ${prior.backup}`;
  }
  return raw(':');
}

function ensureBackupDir(): ShellText {
  return sh`mkdir -p -- ${BACKUP_DIR}
chmod 0700 ${BACKUP_DIR}`;
}

/** chmod with the leading zero GNU chmod needs to also clear a directory's setgid bit. */
export function chmodMode(mode: string): string {
  return '0' + mode.padStart(4, '0');
}

/** Put back what the record describes (one round trip). */
export async function restore(shell: HostShell, prior: Prior): Promise<void> {
  const { path } = prior;
  const clearDir = sh`if [ -d ${path} ] && [ ! -L ${path} ]; then rm -rf -- ${path}; fi`;
  switch (prior.type) {
    case 'absent':
      await shell.run(sh`rm -rf -- ${path}`);
      return;
    case 'link':
      await shell.run(sh`set -e
rm -rf -- ${path}
ln -s -- ${prior.target} ${path}
chown -h ${`${prior.uid}:${prior.gid}`} ${path}`);
      return;
    case 'file': {
      const fill = prior.content !== undefined ? raw('base64 -d > "$t"') : sh`cat -- ${prior.backup ?? ''} > "$t"`;
      await shell.run(
        sh`set -e
${clearDir}
${tempFileBeside(path)}
${fill}
${prior.content !== undefined ? expectSize(Buffer.byteLength(prior.content, 'base64')) : raw(':')}
chown ${`${prior.uid}:${prior.gid}`} "$t"
chmod ${chmodMode(prior.mode)} "$t"
mv -f -- "$t" ${path}
trap - EXIT`,
        { stdin: prior.content ?? '' },
      );
      return;
    }
    case 'attrs':
      await restoreAttrs(shell, prior.entries);
      return;
    case 'directory':
      if (prior.backup) {
        await shell.run(sh`set -e
rm -rf -- ${path}
mkdir -p -- ${posix.dirname(path)}
tar --no-unquote --numeric-owner -xpf ${prior.backup} -C ${posix.dirname(path)}`);
      } else {
        await shell.run(sh`set -e
chown ${`${prior.uid}:${prior.gid}`} ${path}
chmod ${chmodMode(prior.mode)} ${path}`);
      }
      return;
  }
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
