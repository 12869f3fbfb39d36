// A private directory on the host for one script, removed however the script ends.
//
// SIGPIPE is trapped too: when the controller dies its end of the pipes closes before the
// parent-death signal arrives, and a script writing an error to that stderr would otherwise die
// of SIGPIPE, which skips the EXIT trap and leaves the directory. The EXIT trap ignores those
// signals first: the controller's death brings two (the closed pipe, then the parent-death
// SIGTERM), and the second, arriving while the first one's exit runs the trap, would exit again
// before the rm (about 1 kill in 20 on a busy machine left the directory, a file in it).

import { raw, type ShellText } from './quote.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Shell lines that make a private directory (mktemp -d: mode 0700, a name nobody else has) and
 * keep its path in the variable `name`; it is removed however the script ends: its last line,
 * `exit`, or a signal (a timeout, Ctrl-C: HUP INT TERM PIPE exit through the EXIT trap, since a
 * shell killed by a signal runs none). The traps come before mktemp: a signal between the two
 * would leave the directory behind. `template` (shell text, e.g. `"$dir"/.name.XXXXXX`) places
 * it; default: $TMPDIR or /tmp. One per script: a shell has one EXIT trap. Exits 125 when no
 * directory can be made.
 */
export function privateTempDir(name: string, template?: ShellText): ShellText {
  if (!NAME.test(name)) throw new Error(`not a shell variable name: ${name}`);
  return raw(`${name}=
trap 'trap "" HUP INT TERM PIPE; if [ -n "$${name}" ]; then cd / && rm -rf -- "$${name}"; fi' EXIT
trap 'exit 143' HUP INT TERM PIPE
${name}=$(mktemp -d${template ? ` -- ${template.text}` : ''}) || exit 125`);
}
