// Reading what is at a path on the host, in the same round trip as whatever else a check needs.
// `probeScript` emits a section of `key=value` lines that `parsePathState` turns back into a
// PathState. Names and link targets travel base64-encoded, so quotes, newlines or `$()` in a path
// are data all the way through. Several probes can share one script: each prints its own section,
// `splitSections` separates them.

import { raw, sh, type ShellText } from 'runbook';

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
  | (Owned & { type: 'file'; size: number; sha256: string; content?: Buffer })
  | (Owned & { type: 'directory' })
  | (Owned & { type: 'link'; target: string })
  | (Owned & { type: 'other' });

/**
 * The sh function every probe calls: `rb_probe PATH READ_LIMIT`. It prints `type=`, the stat
 * fields, and for a file its sha256 (and content when small), for a link its target.
 */
export const PROBE_FUNCTION = raw(`rb_probe() {
  if [ -L "$1" ]; then rb_t=link; elif [ -d "$1" ]; then rb_t=directory; elif [ -f "$1" ]; then rb_t=file; elif [ -e "$1" ]; then rb_t=other
  else echo type=absent; if [ -d "$(dirname -- "$1")" ]; then echo parent=1; fi; return 0; fi
  echo "type=$rb_t"
  stat -c 'mode=%a
uid=%u
user=%U
gid=%g
group=%G
size=%s' -- "$1"
  case $rb_t in
    link) printf 'target='; readlink -- "$1" | base64 -w0; echo ;;
    file) printf 'sha256='; sha256sum < "$1" | cut -c1-64
      if [ "$(stat -c %s -- "$1")" -le "$2" ]; then printf 'content='; base64 -w0 < "$1"; echo; fi ;;
  esac
}
rb_section() { printf '\\n@@%s\\n' "$1"; }
`);

/**
 * Script text that prints a section named `name` describing `path`. With `follow`, a symlink at
 * path is resolved first (as `readlink -f` does) and the section says which real path it describes.
 */
export function probeScript(name: string, path: string | ShellText, options: { follow?: boolean } = {}): ShellText {
  const p = typeof path === 'string' ? sh`${path}` : path;
  if (!options.follow) return sh`rb_section ${name}; printf 'path='; printf '%s' ${p} | base64 -w0; echo; rb_probe ${p} ${READ_LIMIT}`;
  // The trailing x keeps a newline that ends a path from being eaten by $(...).
  return sh`rb_section ${name}; rb_p=${p}; if rb_r=$(readlink -f -- "$rb_p" && echo x); then rb_r=\${rb_r%?x}; else rb_r=$rb_p; fi
printf 'path='; printf '%s' "$rb_r" | base64 -w0; echo; rb_probe "$rb_r" ${READ_LIMIT}`;
}

/** Sections printed with `rb_section NAME` (or by probeScript), by name; text before the first is dropped. */
export function splitSections(out: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = ('\n' + out).split('\n@@');
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl < 0 ? part : part.slice(0, nl);
    sections.set(name, nl < 0 ? '' : part.slice(nl + 1));
  }
  return sections;
}

export function parsePathState(section: string | undefined): PathState {
  if (section === undefined) throw new Error('probe output is missing a section');
  const kv = new Map<string, string>();
  for (const line of section.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const path = Buffer.from(kv.get('path') ?? '', 'base64').toString('utf8');
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
    const content = kv.get('content');
    return {
      ...owned,
      type,
      size: Number(kv.get('size')),
      sha256: kv.get('sha256') ?? '',
      ...(content !== undefined ? { content: Buffer.from(content, 'base64') } : {}),
    };
  }
  // readlink ends its output with one newline of its own.
  if (type === 'link') return { ...owned, type, target: Buffer.from(kv.get('target') ?? '', 'base64').toString('utf8').replace(/\n$/, '') };
  if (type === 'directory' || type === 'other') return { ...owned, type };
  throw new Error(`unexpected probe output: ${section.slice(0, 200)}`);
}
