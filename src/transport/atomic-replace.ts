// Replacing a file on a host atomically and safely in a directory another user may own: the new
// content goes to a private directory beside the target, entered before anything is written, and
// is renamed over the target from there. Every atomic write (HostShell, the sdk, tasks) is made of
// tempBeside, then the writing, expectSize when the size is known, then placeTemp.

import { posix } from 'node:path';
import { sh, type ShellText } from '../shell/quote.js';
import { privateTempDir } from '../shell/temp-dir.js';

/**
 * Shell lines that make "$t" a name for the new file (or link) in a private directory beside
 * `path`, and make that directory the working directory; `placeTemp` then renames "$t" over
 * `path`. Every atomic replace (here and in tasks) starts with this, and ends with `placeTemp`.
 *
 * Why a directory, and why cd into it: the directory holding `path` may belong to another user
 * (a service account's home), who can replace any name in it at any moment. A temp file there
 * could be swapped for a link between its creation and the chown, chmod or write that follows,
 * which would then land on the link's target. The private directory is made by mktemp (mode
 * 0700, ours) and entered before anything is written; checked with `pwd -P`, so a swap before the
 * `cd` is refused, and after it the working directory stays that directory whatever happens to
 * its name. Inside it only we can create or replace names. The final rename goes to `../name`:
 * the directory's physical parent, which nobody can change without write access to the private
 * directory itself. The traps come first: a signal between mktemp and them would leave the
 * directory behind; the EXIT trap removes it however the script ends, also when the controller
 * dies (the signal exits through it, and sh runs pending traps before the next command, so no
 * rename follows).
 */
export function tempBeside(path: string, prefix = '.runbook-tmp'): ShellText {
  return sh`t= rb_pd=$(cd -P -- "$(dirname -- ${path})" && pwd -P)
rb_pd=\${rb_pd%/}
${privateTempDir('rb_td', sh`"$rb_pd"/${prefix}.XXXXXX`)}
cd -P -- "$rb_td"
if [ "$(pwd -P)" != "$rb_td" ]; then echo ${`${path}: the directory for the new file was replaced by a link; refusing to write through it`} >&2; exit 1; fi
t=./new`;
}

/** Renames "$t" (see tempBeside) over `path`, never into a directory there, and removes the private directory. */
export function placeTemp(path: string): ShellText {
  return sh`mv -Tf -- "$t" ../${posix.basename(path)}
cd ..
rmdir -- "\${rb_td##*/}"
rb_td=`;
}

/**
 * Fails the script unless "$t" holds exactly `bytes` bytes: stdin cut short (the controller died
 * mid-transfer) looks like a normal end of data to cat, and must never be renamed into place.
 */
export function expectSize(bytes: number): ShellText {
  return sh`[ "$(wc -c < "$t")" -eq ${bytes} ] || { echo 'the transfer was cut off; the file was not replaced' >&2; exit 1; }`;
}
