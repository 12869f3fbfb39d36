// The backup store on a host: where apply keeps what undo needs and cannot carry in its record
// (big files, whole trees). It belongs to the user the task runs as and nobody else can read or
// replace what is in it: /var/lib/runbook/backups for root, ~/.local/state/runbook/backups
// otherwise, both mode 0700, refused if they are links or belong to someone else. Backups are
// made under mktemp names (O_EXCL) with mode 0600 and renamed into place; a backup's sha256 is in
// the undo record and is checked before anything is restored from it.

import { raw, sh, type ShellText } from '../shell/quote.js';
import { TaskError } from '../errors.js';

/** Exit status of a script that found the store unsafe (75) or a backup not as recorded (76). */
export const UNSAFE_STORE = 75;
export const BACKUP_CHANGED = 76;

/**
 * sh functions: `rb_backup_open` sets "$rb_b" to the store (made if missing, verified);
 * `rb_backup_verify NAME SHA256` exits 76 unless the backup is there with that hash.
 */
export const BACKUP_STORE = raw(`rb_backup_open() {
  if [ "$(id -u)" -eq 0 ]; then rb_b=/var/lib/runbook/backups; else rb_b=\${HOME:?}/.local/state/runbook/backups; fi
  (umask 077; mkdir -p -- "$rb_b") || exit ${UNSAFE_STORE}
  for rb_d in "\${rb_b%/backups}" "$rb_b"; do
    if [ -L "$rb_d" ] || [ ! -d "$rb_d" ] || [ ! -O "$rb_d" ]; then
      echo "unsafe backup store: $rb_d is a link or belongs to another user; refusing to keep backups there" >&2; exit ${UNSAFE_STORE}
    fi
    case $(stat -c %a -- "$rb_d") in *[2367]|*[2367]?) echo "unsafe backup store: others can write to $rb_d; refusing to keep backups there" >&2; exit ${UNSAFE_STORE} ;; esac
  done
  chmod 0700 -- "$rb_b"
}
rb_backup_verify() {
  if [ -L "$rb_b/$1" ] || [ ! -f "$rb_b/$1" ]; then echo "backup $rb_b/$1 is missing" >&2; exit ${BACKUP_CHANGED}; fi
  rb_h=$(sha256sum < "$rb_b/$1")
  if [ "\${rb_h%% *}" != "$2" ]; then echo "backup $rb_b/$1 changed since it was made (sha256 \${rb_h%% *}, recorded $2); refusing to restore from it" >&2; exit ${BACKUP_CHANGED}; fi
}`);

/** A backup's name in the store: one plain file name, never a path (old records named /var/tmp paths). */
function storeName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new TaskError(`backup name ${JSON.stringify(name)} is not a name in the backup store`, {
      hint: 'records of runbook before 0.2 kept backups in /var/tmp, where other users could change them: restore that one by hand',
    });
  }
  return name;
}

/**
 * Copies the file at `path` into the store as `name`, unless a copy is there already (names are
 * content hashes); the copy must have the hash the check saw, or the file changed since.
 */
export function verifiedBackupScript(path: string, name: string, sha256: string): ShellText {
  return sh`${BACKUP_STORE}
rb_backup_open
if [ ! -f "$rb_b"/${storeName(name)} ]; then
  rb_p=$(mktemp -- "$rb_b/.part.XXXXXX")
  cp -- ${path} "$rb_p"
  rb_h=$(sha256sum < "$rb_p")
  if [ "\${rb_h%% *}" != ${sha256} ]; then rm -f -- "$rb_p"; echo ${`${path} changed since it was checked; nothing was changed, run again`} >&2; exit 1; fi
  mv -f -- "$rb_p" "$rb_b"/${name}
fi`;
}

/** A tar made with `tarArgs` (what to archive) kept as `name`; prints its sha256 for `parseBackupHash`. */
export function backupTarScript(name: string, tarArgs: ShellText): ShellText {
  return sh`${BACKUP_STORE}
rb_backup_open
rb_p=$(mktemp -- "$rb_b/.part.XXXXXX")
tar --no-unquote --numeric-owner -cpf "$rb_p" ${tarArgs}
mv -f -- "$rb_p" "$rb_b"/${storeName(name)}
rb_h=$(sha256sum < "$rb_b"/${name})
printf '\\nrb_backup_sha256=%s\\n' "\${rb_h%% *}"`;
}

/** Opens the store and exits 76 unless backup `name` is there with this hash; "$rb_b"/name is then safe to read. */
export function verifyBackupScript(name: string, sha256: string): ShellText {
  return sh`${BACKUP_STORE}
rb_backup_open
rb_backup_verify ${storeName(name)} ${sha256}`;
}

/** Unpacks backup `name` into `dir`, after checking it is the tar that was recorded. */
export function restoreTarScript(name: string, sha256: string, dir: string): ShellText {
  return sh`${verifyBackupScript(name, sha256)}
tar --no-unquote --numeric-owner -xpf "$rb_b"/${name} -C ${dir}`;
}

/** The hash `backupTarScript` printed. */
export function parseBackupHash(stdout: string): string {
  const found = [...stdout.matchAll(/^rb_backup_sha256=([0-9a-f]{64})$/gm)].pop();
  if (!found) throw new Error('the backup script did not print the backup hash');
  return found[1];
}
