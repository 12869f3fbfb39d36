// Reading archive listings and deciding, before anything is extracted, whether every entry stays
// inside the destination: no absolute names, no `..` components, no links that lead out once the
// kernel resolves them (through other links of the archive and links already in dest).

import { posix } from 'node:path';

export interface ArchiveEntry {
  /** The name as stored in the archive. */
  name: string;
  /** tar's type letter: '-' file, 'd' directory, 'l' symlink, 'h' hard link, 'c'/'b'/'p' special. */
  type: string;
  /** Link target for 'l' and 'h'. */
  target?: string;
  /** Bytes it unpacks to. */
  size: number;
}

/**
 * Pairs `tar --numeric-owner -tvf` lines (types, sizes, link targets) with `tar -tf` lines (exact
 * names). Both use tar's default escape quoting, so a name never spans lines. The verbose line is
 * read by position: mode, uid/gid (numbers, so no owner name can look like ` -> `), size, date,
 * time, then the exact name, then the link's separator and target: nothing is guessed.
 */
export function parseTarListing(verbose: string, names: string): ArchiveEntry[] {
  const v = verbose.split('\n').filter(Boolean);
  const n = names.split('\n').filter(Boolean);
  if (v.length !== n.length) throw new Error(`tar listings disagree (${v.length} vs ${n.length} entries)`);
  return n.map((name, i) => {
    const m = /^(\S+) \d+\/\d+ +(\S+) \S+ \S+ (.*)$/.exec(v[i]);
    if (!m || !m[3].startsWith(name)) throw new Error(`cannot read the tar listing line: ${v[i]}`);
    const type = m[1][0];
    const entry: ArchiveEntry = { name, type, size: /^\d+$/.test(m[2]) ? Number(m[2]) : 0 };
    const sep = type === 'l' ? ' -> ' : type === 'h' ? ' link to ' : undefined;
    if (sep) {
      const rest = m[3].slice(name.length);
      if (!rest.startsWith(sep)) throw new Error(`cannot read the link target in: ${v[i]}`);
      entry.target = rest.slice(sep.length);
    }
    return entry;
  });
}

/** `unzip -Z` lines (type letter first) paired with `unzip -Z1` names. */
export function parseZipListing(verbose: string, names: string): ArchiveEntry[] {
  const v = verbose.split('\n').filter((l) => /^[-dlcbps?][rwxsStT-]{9}\s/.test(l));
  const n = names.split('\n').filter(Boolean);
  if (v.length !== n.length) throw new Error(`zip listings disagree (${v.length} vs ${n.length} entries)`);
  return n.map((name, i) => ({ name, type: name.endsWith('/') ? 'd' : v[i][0], size: Number(v[i].split(/\s+/)[3]) || 0 }));
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
  if (type === 'l' && (target === undefined || target.startsWith('/'))) return `a symlink to an absolute path (${target})`;
  if (type === 'h') {
    if (target === undefined || target.startsWith('/') || target.split('/').includes('..')) return `a hard link to outside dest (${target})`;
  }
  return null;
}

/**
 * Entries that would land outside dest, or whose links would lead out, resolving every path the
 * way the kernel will once everything is unpacked: `links` holds the archive's symlinks and those
 * already in dest (relative name -> target). `a -> .` with `b -> a/..` leads out; so does an
 * entry unpacked through a link that does.
 */
export function escapes(entries: Array<{ name: string; type: string; target?: string }>, links: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const { name, type, target } of entries) {
    const dir = posix.dirname(name) === '.' ? [] : posix.dirname(name).split('/');
    // The entry must be written inside dest (its directory resolved through links)...
    if (resolve(dir, links) === null) out.set(name, 'it would be unpacked through a symlink that leads outside dest');
    // ...a symlink must lead inside once followed, and a hard link's target (from dest) must be inside.
    else if (type === 'l' && target !== undefined && resolve([...dir, ...target.split('/')], links) === null) {
      out.set(name, `a symlink that leads outside dest once links are followed (${target})`);
    } else if (type === 'h' && target !== undefined && resolve(target.split('/'), links) === null) {
      out.set(name, `a hard link to a file outside dest once links are followed (${target})`);
    }
  }
  return out;
}

/** Components from dest resolved as the kernel would (following links); null when they leave dest. */
function resolve(parts: string[], links: Map<string, string>, depth = 0): string[] | null {
  if (depth > 40) return null; // ELOOP
  const at: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return null;
      at.pop();
      continue;
    }
    at.push(part);
    const target = links.get(at.join('/'));
    if (target === undefined) continue;
    if (target.startsWith('/')) return null;
    const through = resolve([...at.slice(0, -1), ...target.split('/')], links, depth + 1);
    if (through === null) return null;
    at.splice(0, at.length, ...through);
  }
  return at;
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
