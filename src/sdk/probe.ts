// Reading what is at a path on the host, in the same round trip as whatever else a check needs.
// `probeScript` emits a section of `key=value` lines that `parsePathState` turns back into a
// PathState. Paths and link targets end with a NUL instead of a newline (no path holds a NUL), so
// quotes, newlines or `$()` in a path are data all the way through. Several probes can share one
// script: each prints its own section, `splitSections` separates them.
//
// Every check runs these, so they are written to fork as little as possible: shell builtins for
// types and paths, one stat per path, and for a small file its content (the controller hashes it).
// When the engine reads checks ahead, rb_probe takes a path's fields from the batch's stat table
// (stat-table.ts) rather than from a stat of its own, and prints the same lines either way.

import { createHash } from 'node:crypto';
import { raw, sh, type ShellText } from '../shell/quote.js';
import { noteProbedPath, SUMMED_FUNCTION, TABLED_FUNCTION } from './stat-table.js';
import { privateTempDir } from '../shell/temp-dir.js';
import { TaskError } from '../errors.js';

/** File content read along with a probe (for diffs and line edits); bigger files are read on demand. */
export const READ_LIMIT = 1024 * 1024;

interface Owned {
  path: string;
  /** Permission bits as stat prints them: '644', '2755'. */
  mode: string;
  uid: number;
  gid: number;
  user: string;
  group: string;
}

export type PathState =
  | { type: 'absent'; path: string; parentExists: boolean }
  | (Owned & { type: 'file'; size: number; sha256: string; content?: Buffer; /** Inode and link count: which hard links share it. */ ino: number; links: number })
  | (Owned & { type: 'directory' })
  | (Owned & { type: 'link'; target: string })
  | (Owned & { type: 'other' });

/**
 * `rb_section NAME` starts a section. Its header holds a NUL, which no path or value printed in a
 * section can, so no file name can fake a section.
 */
export const SECTION_FUNCTION = raw(`rb_section() { printf '\\n\\000@@%s\\n' "$1"; }
`);
const SECTION_START = '\n\0@@';

/** Keys whose values end with a NUL (then a newline), not at the first newline. */
const NUL_ENDED = new Set(['path', 'target']);

/**
 * `rb_guard PATH FOLLOW`: for every symlink the kernel would follow on the way to PATH (those above
 * it, and PATH itself when FOLLOW is 1) prints a `glink=` line: the uid and mode of the physical
 * directory holding the link, the link's uid, and the uids of what the link resolves to and of
 * the directory that holds that (`-` when absent), then the link's own path and its target.
 * Links are rare, so the common path costs no process at all (builtins only); a link costs one
 * stat of all four (`DIR/.` makes stat follow a directory's links, the link itself is not
 * followed, the target is already resolved), and a link to anything but a directory a readlink
 * too: a directory's real path is `cd -P` and `pwd -P` in a subshell, which forks but runs no
 * program (a kafka or zookeeper install reached through its version link is a link per path).
 */
const GUARD_FUNCTION = `rb_guard() {
  case $1 in /*) ;; *) return 0 ;; esac
  rb_rest=\${1#/}; rb_cur=; rb_follow=$2
  while [ -n "$rb_rest" ]; do
    rb_c=\${rb_rest%%/*}
    case $rb_rest in */*) rb_rest=\${rb_rest#*/} ;; *) rb_rest= ;; esac
    [ -n "$rb_c" ] || continue
    rb_par=\${rb_cur:-/}; rb_cur=$rb_cur/$rb_c
    if [ -L "$rb_cur" ] && { [ -n "$rb_rest" ] || [ "$rb_follow" = 1 ]; }; then
      [ -d "$rb_cur" ] && rb_tg=$(cd -P -- "$rb_cur" 2>/dev/null && pwd -P && echo x) || rb_tg=$(readlink -f -- "$rb_cur"; echo x)
      rb_tg=\${rb_tg%?x}
      rb_td=\${rb_tg%/*}; rb_td=\${rb_td:-/}
      if [ -e "$rb_tg" ]; then set -- "$rb_tg" "$rb_td/."; elif [ -d "$rb_td" ]; then set -- "$rb_td/."; else set --; fi
      rb_st=$(stat -c '%u %a' -- "$rb_par/." "$rb_cur" "$@") || return 1
      set -- $rb_st
      case $# in
        8) printf 'glink=%s %s %s %s %s ' "$1" "$2" "$3" "$5" "$7" ;;
        6) printf 'glink=%s %s %s - %s ' "$1" "$2" "$3" "$5" ;;
        *) printf 'glink=%s %s %s - - ' "$1" "$2" "$3" ;;
      esac
      printf '%s\\000%s\\000\\n' "$rb_cur" "$rb_tg"
    fi
  done
}
`;

/**
 * The sh function every probe calls: `rb_probe PATH READ_LIMIT [SUMMED]`. It prints `type=`, the
 * stat fields, and for a file its content when small (else its sha256), for a link its target.
 * With SUMMED 1, a file the batch's sum table has (stat-table.ts) is given by its sum alone.
 */
export const PROBE_FUNCTION = raw(`rb_probe() {
  if [ -L "$1" ]; then rb_t=link; elif [ -d "$1" ]; then rb_t=directory; elif [ -f "$1" ]; then rb_t=file; elif [ -e "$1" ]; then rb_t=other
  else echo type=absent; if [ -d "$(dirname -- "$1")" ]; then echo parent=1; fi; return 0; fi
  echo "type=$rb_t"
  rb_tabled "$1" || rb_s=$(stat -c 'mode=%a
uid=%u
user=%U
gid=%g
group=%G
ino=%i
links=%h
size=%s' -- "$1") || return 1
  echo "$rb_s"
  case $rb_t in
    link) rb_l=$(readlink -- "$1"; echo x); printf 'target=%s\\000\\n' "\${rb_l%?x}" ;;
    file) if [ ! -r "$1" ]; then echo unreadable=1
      elif [ "$3" = 1 ] && rb_summed "$1"; then echo "sha256=$rb_h"
      elif [ "\${rb_s##*size=}" -le "$2" ]; then printf 'content='; base64 -w0 < "$1"; echo
      else printf 'sha256='; sha256sum < "$1"; fi ;;
  esac
}
${SECTION_FUNCTION.text}${GUARD_FUNCTION}${TABLED_FUNCTION}${SUMMED_FUNCTION}`);

/**
 * The links a guard section found, checked: a link in a directory that a user other than root
 * can change (its owner; anyone, when the group or others may write there without the sticky
 * bit) is that user's to point anywhere. Following it is safe only into what that user owns
 * already; anything else would let them aim a root-run write or chown at a file of someone else
 * (a ~kafka/.bashrc that points at /etc/shadow). Such a link is refused with the reason.
 */
export function checkGuard(section: string): void {
  let at = 0;
  for (;;) {
    const start = section.indexOf('glink=', at);
    if (start < 0) return;
    const fieldsEnd = section.indexOf('/', start);
    const [dirUid, dirMode, linkUid, targetUid, targetDirUid] = section.slice(start + 6, fieldsEnd).trim().split(' ');
    const linkEnd = section.indexOf('\0', fieldsEnd);
    const targetEnd = section.indexOf('\0', linkEnd + 1);
    const link = section.slice(fieldsEnd, linkEnd);
    const target = section.slice(linkEnd + 1, targetEnd);
    at = targetEnd + 1;
    const mode = parseInt(dirMode, 8);
    const controller = (mode & 0o022) === 0 ? dirUid : (mode & 0o1000) !== 0 ? linkUid : 'anyone';
    if (controller === '0') continue;
    const owned = (uid: string) => uid === '-' || uid === controller;
    if (controller !== 'anyone' && owned(targetUid) && (targetDirUid === controller || targetDirUid === '-' && targetUid === controller)) continue;
    const who = controller === 'anyone' ? 'anyone' : `uid ${controller}`;
    throw new TaskError(`refusing to follow the link ${link}: ${who} can change it, and it leads to ${target}, which is not theirs`, {
      hint: 'a link in a directory another user controls is followed only into what that user owns; replace the link with a real file, or point it there',
    });
  }
}

/** Lines that set "$h" to `user`'s home directory, or exit 7 saying there is no such user. */
export function homeScript(user: string): ShellText {
  // Field 6 of the passwd line, cut out by the shell itself (no fork for cut).
  return sh`h=$(getent passwd ${user}) || { echo "no such user: "${user} >&2; exit 7; }
h=\${h#*:*:*:*:*:}; h=\${h%%:*}`;
}

export interface ProbeOptions {
  /** Resolve a symlink at the path first (as `readlink -f` does). */
  follow?: boolean;
  /**
   * The check compares the file's content and reads it only when it differs: read ahead, a file
   * is given by its sum from the batch's sum table (stat-table.ts), without its content.
   */
  summed?: boolean;
}

/**
 * Script text that prints a section named `name` describing `path`. With `follow`, a symlink at
 * path is resolved first (as `readlink -f` does) and the section says which real path it describes.
 * That real path is left in $rb_r for what the script does next (file's recursive find).
 */
export function probeScript(name: string, path: string | ShellText, options: ProbeOptions = {}): ShellText {
  if (typeof path === 'string') noteProbedPath(path, options.summed ?? false);
  const p = typeof path === 'string' ? sh`${path}` : path;
  const summed = options.summed ? raw(' 1') : raw('');
  if (!options.follow) return sh`rb_section ${name}; rb_guard ${p} 0; printf 'path=%s\\000\\n' ${p}; rb_probe ${p} ${READ_LIMIT}${summed}`;
  // Only a link needs resolving (the trailing x keeps a newline that ends a path from being eaten
  // by $(...)); links among the parent directories need not be, the kernel follows those.
  return sh`rb_section ${name}; rb_guard ${p} 1; rb_r=${p}; if [ -L "$rb_r" ] && rb_x=$(readlink -f -- "$rb_r" && echo x); then rb_r=\${rb_x%?x}; fi
printf 'path=%s\\000\\n' "$rb_r"; rb_probe "$rb_r" ${READ_LIMIT}${summed}`;
}

/**
 * The followed probe of a path whose unfollowed probe printed the section `sameAs` earlier in the
 * same script. A path that is no link reads the same either way (the guard and the kernel follow
 * the links above it alike), so then the section only names the other: a stat fewer on the host
 * for each such check. `probedSection` reads it back. Sets $rb_r as probeScript's follow does.
 */
export function followedProbeScript(name: string, path: string, sameAs: string): ShellText {
  return sh`if [ -L ${path} ]; then ${probeScript(name, path, { follow: true })}
else rb_section ${name}; printf 'same=%s\\000\\n' ${sameAs}; rb_r=${path}; fi`;
}

/** What followedProbeScript's section starts with (a probe's own sections start with glink= or path=). */
const SAME_KEY = 'same=';

/** A section by name; one that followedProbeScript printed as the same as another is that other. */
export function probedSection(sections: ReadonlyMap<string, string>, name: string): string | undefined {
  const section = sections.get(name);
  if (!section?.startsWith(SAME_KEY)) return section;
  return sections.get(section.slice(SAME_KEY.length, section.indexOf('\0')));
}

/**
 * Runs every part at once and prints each one's output as a section of its name, in the order
 * given (a part may print sections of its own after it). For probes made of independent commands
 * slow to start: Kafka's tools are a JVM each, and a gate polls them every few seconds. Each part
 * writes to a file of its own in a private temp directory, since on one pipe they would interleave.
 * The directory goes however the script ends: a poll stopped by a timeout or Ctrl-C is killed
 * with TERM, which exits through the EXIT trap (as tempBeside's does). Needs SECTION_FUNCTION
 * before it; it sets the EXIT trap, so not in one script with tempBeside.
 */
export function concurrentSections(parts: ReadonlyArray<readonly [name: string, script: ShellText]>): ShellText {
  const start = parts.map(([, script], i) => `{ ${script.text}\n} > "$rb_d/${i}" &\n`).join('');
  const print = parts.map(([name], i) => sh`rb_section ${name}; cat "$rb_d/"${i}`.text + '\n').join('');
  return raw(`${privateTempDir('rb_d').text}\n${start}wait\n${print}`);
}

/** Sections printed with `rb_section NAME` (or by probeScript), by name; text before the first is dropped. */
export function splitSections(out: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = ('\n' + out).split(SECTION_START);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl < 0 ? part : part.slice(0, nl);
    sections.set(name, nl < 0 ? '' : part.slice(nl + 1));
  }
  return sections;
}

export function parsePathState(section: string | undefined): PathState {
  if (section === undefined) throw new Error('probe output is missing a section');
  checkGuard(section);
  const kv = parseValues(section);
  const path = kv.get('path') ?? '';
  const type = kv.get('type');
  if (type === 'absent') return { type, path, parentExists: kv.get('parent') === '1' };
  const owned: Owned = {
    path,
    mode: kv.get('mode') ?? '',
    uid: Number(kv.get('uid')),
    gid: Number(kv.get('gid')),
    user: kv.get('user') ?? '',
    group: kv.get('group') ?? '',
  };
  if (type === 'file') {
    // Reading it as empty would make an edit replace it, and its undo record empty.
    if (kv.get('unreadable') === '1') {
      throw new TaskError(`cannot read ${path}: permission denied for the user the step runs as`, { hint: 'run the step with become: true (or as a user who may read it)' });
    }
    const encoded = kv.get('content');
    const content = encoded !== undefined ? Buffer.from(encoded, 'base64') : undefined;
    // sha256sum prints the hash, then the file name ("-").
    const sha256 = content ? createHash('sha256').update(content).digest('hex') : (kv.get('sha256') ?? '').slice(0, 64);
    return { ...owned, type, size: Number(kv.get('size')), sha256, ino: Number(kv.get('ino')), links: Number(kv.get('links')), ...(content ? { content } : {}) };
  }
  if (type === 'link') return { ...owned, type, target: kv.get('target') ?? '' };
  if (type === 'directory' || type === 'other') return { ...owned, type };
  throw new Error(`unexpected probe output: ${section.slice(0, 200)}`);
}

/** `key=value` lines; the values of NUL_ENDED keys run to a NUL and may hold newlines. */
function parseValues(section: string): Map<string, string> {
  const kv = new Map<string, string>();
  let at = 0;
  while (at < section.length) {
    const eq = section.indexOf('=', at);
    const nl = section.indexOf('\n', at);
    if (eq === -1 || (nl !== -1 && nl < eq)) {
      if (nl === -1) break;
      at = nl + 1;
      continue;
    }
    const key = section.slice(at, eq);
    const end = NUL_ENDED.has(key) ? section.indexOf('\0', eq) : nl;
    const stop = end === -1 ? section.length : end;
    kv.set(key, section.slice(eq + 1, stop));
    at = NUL_ENDED.has(key) ? stop + 2 : stop + 1;
  }
  return kv;
}
