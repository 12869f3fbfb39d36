// Reading archive listings and deciding, before anything is extracted, whether every entry stays
// inside the destination: no absolute names, no `..` components, no links that point out.

import { posix } from 'node:path';

export interface ArchiveEntry {
  /** The name as stored in the archive. */
  name: string;
  /** tar's type letter: '-' file, 'd' directory, 'l' symlink, 'h' hard link, 'c'/'b'/'p' special. */
  type: string;
  /** Link target for 'l' and 'h'. */
  target?: string;
}

/**
 * Pairs `tar -tvf` lines (types, link targets) with `tar -tf` lines (exact names). Both use tar's
 * default escape quoting, so a name never spans lines.
 */
export function parseTarListing(verbose: string, names: string): ArchiveEntry[] {
  const v = verbose.split('\n').filter(Boolean);
  const n = names.split('\n').filter(Boolean);
  if (v.length !== n.length) throw new Error(`tar listings disagree (${v.length} vs ${n.length} entries)`);
  return n.map((name, i) => {
    const line = v[i];
    const type = line[0];
    const entry: ArchiveEntry = { name, type };
    const sep = type === 'l' ? ' -> ' : type === 'h' ? ' link to ' : undefined;
    if (sep) {
      const at = line.indexOf(` ${name}${sep}`);
      if (at < 0) throw new Error(`cannot read the link target in: ${line}`);
      entry.target = line.slice(at + 1 + name.length + sep.length);
    }
    return entry;
  });
}

/** `unzip -Z` lines (type letter first) paired with `unzip -Z1` names. */
export function parseZipListing(verbose: string, names: string): ArchiveEntry[] {
  const v = verbose.split('\n').filter((l) => /^[-dlcbps?][rwxsStT-]{9}\s/.test(l));
  const n = names.split('\n').filter(Boolean);
  if (v.length !== n.length) throw new Error(`zip listings disagree (${v.length} vs ${n.length} entries)`);
  return n.map((name, i) => ({ name, type: name.endsWith('/') ? 'd' : v[i][0] }));
}

/** The name after tar's --strip-components; null when the entry is stripped away entirely. */
export function stripped(name: string, strip: number): string | null {
  const parts = name.split('/').filter((p) => p !== '');
  if (parts.length <= strip) return null;
  return parts.slice(strip).join('/');
}

/** Why an entry would land outside dest (or is otherwise refused), or null when it is fine. */
export function refusal(entry: ArchiveEntry, strip: number, format: 'tar' | 'zip'): string | null {
  const { name, type, target } = entry;
  if (name.includes('\\')) return 'a name with escaped characters';
  if (name.startsWith('/')) return 'an absolute path';
  if (name.split('/').includes('..')) return 'a ".." component';
  if (type === 'c' || type === 'b') return 'a device file';
  if (type === 'l' && format === 'zip') return 'a symlink (not supported in zip archives)';
  const rel = stripped(name, strip);
  if (rel === null) return null;
  if (type === 'l') {
    if (target === undefined || target.startsWith('/')) return `a symlink to an absolute path (${target})`;
    const landing = posix.normalize(posix.join(posix.dirname(rel), target));
    if (landing === '..' || landing.startsWith('../')) return `a symlink pointing outside dest (${target})`;
  }
  if (type === 'h') {
    if (target === undefined || target.startsWith('/') || target.split('/').includes('..')) return `a hard link to outside dest (${target})`;
  }
  return null;
}

export type DiffKind = 'missing' | 'differs';

/**
 * `tar -d` output (stdout and stderr together) as stripped name → what differs. Ownership, mode
 * and timestamps are ignored: owner/group are set after extraction, and a later chmod is not the
 * archive's business; a missing file or different content is.
 */
export function parseTarDiff(out: string): Map<string, DiffKind> {
  const result = new Map<string, DiffKind>();
  for (const line of out.split('\n')) {
    const m = /^(?:tar: )?(.*?): (.+)$/.exec(line);
    if (!m || m[1] === '') continue;
    const [, name, what] = m;
    if (/^(Mod time|Mode|Uid|Gid) differs$/.test(what)) continue;
    result.set(name.replace(/\/$/, ''), /No such file or directory/.test(what) ? 'missing' : 'differs');
  }
  return result;
}

/** The shallowest names of a set: those with no ancestor in it (what `rm -rf` must remove). */
export function topmost(names: string[]): string[] {
  const set = new Set(names);
  return names.filter((n) => {
    for (let d = posix.dirname(n); d !== '.' && d !== '/'; d = posix.dirname(d)) if (set.has(d)) return false;
    return true;
  });
}
