// A batch's stat table. When the engine reads checks ahead (engine/read-ahead.ts), it stats every
// path the batch's probes name in one process first; rb_probe (probe.ts) then takes a path's
// fields from that table rather than from a stat of its own, and prints the same lines either
// way. A process costs a lab host about 1.25 ms of CPU, and a stat per probed path was most of
// what a no-op step cost it (bench/RESULTS.md). The table lives in a shell variable of the
// subshell that holds the batch, so nothing after the batch can read a stale line.
//
// The same batch keeps a sum table: one sha256sum of the small regular files whose probes asked
// for it (copy, template, systemd_unit: they compare a file, and need its content only when it
// differs). Such a probe then prints the file's sum instead of its content, a process fewer on
// the host for each; the check reads the content itself when the sum says it differs.

import { quote, raw, sh, type ShellText } from '../shell/quote.js';

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

/** The paths a batch's probes name: all for the stat table, those content-compared for the sum table. */
export interface ProbedPaths {
  stat: Set<string>;
  sum: Set<string>;
}

/**
 * Shell text that stats `paths.stat` in one process and keeps what it printed in
 * $__runbook_stat, a line per path: the batch's stat table, which rb_probe reads (rb_tabled).
 * Then the sum table, $__runbook_sum: sha256sum's lines for those of `paths.sum` the stat table
 * shows as regular files within the read limit (never a link, a FIFO a read would hang on, or a
 * device), which rb_probe reads (rb_summed). Run first in the subshell that holds a batch of
 * probes (Transport.execMany's prelude), so what it read is gone with the batch. Paths stat
 * cannot find, or cannot reach, are left out: their probes stat them.
 */
export function statTable(paths: ProbedPaths, readLimit: number): ShellText {
  const stat = sh`__runbook_stat="
$(stat -c ${`%n${TAB}${TABLE_FORMAT}`} -- ${[...paths.stat]} 2>/dev/null)
"`;
  const summed = [...paths.sum].filter((path) => paths.stat.has(path));
  if (summed.length === 0) return stat;
  // The sum is read before a probe's link guard has looked at the directories above the file:
  // it is used only for a probe whose guard passed, and reading a regular file changes nothing.
  return sh`${stat}
rb_sums() {
  rb_smn=$#
  while [ "$rb_smn" -gt 0 ]; do
    rb_smp=$1; shift; rb_smn=$((rb_smn - 1))
    case $__runbook_stat in *"
$rb_smp${raw(TAB)}"*) ;; *) continue ;; esac
    rb_smx=\${__runbook_stat#*"
$rb_smp${raw(TAB)}"}; rb_smx=\${rb_smx%%"
"*}
    [ $(( 0x\${rb_smx%%${raw(TAB)}*} & 61440 )) -eq 32768 ] && [ "\${rb_smx##*${raw(TAB)}}" -le ${String(readLimit)} ] && set -- "$@" "$rb_smp"
  done
  __runbook_sum=
  [ $# -eq 0 ] || __runbook_sum="
$(sha256sum -- "$@" 2>/dev/null)
"
}
rb_sums ${summed}`;
}

/**
 * `rb_summed PATH`: sets $rb_h to PATH's sum from the batch's sum table; fails when the table
 * has none. sha256sum prints a line `HASH  PATH` (no path in the table needs escaping); a hash
 * holds no space, so the match starts where a line's path does. Builtins only.
 */
export const SUMMED_FUNCTION = `rb_summed() {
  case \${__runbook_sum-} in *"  $1
"*) ;; *) return 1 ;; esac
  rb_h=\${__runbook_sum%%"  $1
"*}; rb_h=\${rb_h##*"
"}
}
`;

/** Where probeScript's paths go while a probe is worked out for a batch. */
let collected: ProbedPaths | undefined;

/**
 * A path probeScript was given: kept for the batch's stat table when it needs no quoting, and
 * for its sum table too when the probe compares the file's content (`summed`).
 */
export function noteProbedPath(path: string, summed: boolean): void {
  if (!collected || quote(path) !== path) return;
  collected.stat.add(path);
  if (summed) collected.sum.add(path);
}

/**
 * Runs `make` (a task's probe) and adds to `into` every path its probeScript calls name as a
 * plain string that needs no quoting (no tab or newline can be in one, so its table line is
 * unambiguous). A path worked out on the host ("$h"/.bashrc) is not known here: its probe stats it.
 */
export function collectingProbedPaths<T>(into: ProbedPaths, make: () => T): T {
  const outer = collected;
  collected = into;
  try {
    return make();
  } finally {
    collected = outer;
  }
}
