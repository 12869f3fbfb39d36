// A batch's stat table. When the engine reads checks ahead (engine/read-ahead.ts), it stats every
// path the batch's probes name in one process first; rb_probe (probe.ts) then takes a path's
// fields from that table rather than from a stat of its own, and prints the same lines either
// way. A process costs a lab host about 1.25 ms of CPU, and a stat per probed path was most of
// what a no-op step cost it (bench/RESULTS.md). The table lives in a shell variable of the
// subshell that holds the batch, so nothing after the batch can read a stale line.

import { quote, sh, type ShellText } from '../shell/quote.js';

/** A tab: the stat table's field separator (no path it holds has one, no user or group name can). */
const TAB = '\t';

/** The fields of a stat table line after the path, in order. */
const TABLE_FORMAT = ['%f', '%a', '%u', '%U', '%g', '%G', '%i', '%h', '%s'].join(TAB);

/**
 * `rb_tabled PATH`: sets $rb_s to PATH's stat lines (as rb_probe's own stat prints them) from the
 * batch's stat table, when it has PATH and PATH is still of the type rb_probe found (it may have
 * changed since the table was made; then rb_probe stats it itself). A path with a tab or a
 * newline (a link's target, say) is never looked up: it could span lines. Builtins only.
 */
export const TABLED_FUNCTION = `rb_tabled() {
  case $1 in *"${TAB}"*|*"
"*) return 1 ;; esac
  case $__runbook_stat in *"
$1${TAB}"*) ;; *) return 1 ;; esac
  rb_tbx=\${__runbook_stat#*"
$1${TAB}"}; rb_tbx=\${rb_tbx%%"
"*}
  rb_tbf=\${rb_tbx%%${TAB}*}
  case $(( 0x$rb_tbf & 61440 )):$rb_t in 40960:link|16384:directory|32768:file) ;; *) return 1 ;; esac
  rb_s=mode=; for rb_tbk in uid user gid group ino links size; do rb_tbx=\${rb_tbx#*${TAB}}; rb_s=$rb_s\${rb_tbx%%${TAB}*}"
$rb_tbk="; done
  rb_tbx=\${rb_tbx#*${TAB}}; rb_s=$rb_s$rb_tbx
}
`;

/**
 * Shell text that stats `paths` in one process and keeps what it printed in $__runbook_stat, a
 * line per path: the batch's stat table, which rb_probe reads (rb_tabled). Run first in the
 * subshell that holds a batch of probes (Transport.execMany's prelude), so what it read is gone
 * with the batch. Paths stat cannot find, or cannot reach, are left out: their probes stat them.
 */
export function statTable(paths: readonly string[]): ShellText {
  return sh`__runbook_stat="
$(stat -c ${`%n${TAB}${TABLE_FORMAT}`} -- ${[...paths]} 2>/dev/null)
"`;
}

/** Where probeScript's paths go while a probe is worked out for a batch. */
let collected: Set<string> | undefined;

/** A path probeScript was given: kept for the batch's stat table when it needs no quoting. */
export function noteProbedPath(path: string): void {
  if (collected && quote(path) === path) collected.add(path);
}

/**
 * Runs `make` (a task's probe) and adds to `into` every path its probeScript calls name as a
 * plain string that needs no quoting (no tab or newline can be in one, so its table line is
 * unambiguous). A path worked out on the host ("$h"/.bashrc) is not known here: its probe stats it.
 */
export function collectingProbedPaths<T>(into: Set<string>, make: () => T): T {
  const outer = collected;
  collected = into;
  try {
    return make();
  } finally {
    collected = outer;
  }
}
