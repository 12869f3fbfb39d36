// Compiled templates kept between runs. Handlebars turns each template into JavaScript (parse,
// then code generation): about a tenth of a no-op play's time, spent again by every run on the
// same runbooks. The generated code, with what the renderer needs of the template's syntax tree,
// is kept per build of runbook in one file under the cache directory, and evaluated instead of
// compiled by the next runs.
//
// A build is named by the content hash of the bundle chunk holding this code (which names the
// chunks it imports, handlebars' among them): a new build never reads an older one's code. Run
// from source (the tests' TypeScript loader), nothing is cached: the code changes without a build.
// The file is code runbook evaluates: its folder comes from cacheDir (src/project/cache-dir.ts),
// which refuses one another user could write to, and a file not owned by the user, or writable
// by others, is passed over.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../project/cache-dir.js';

export interface CachedTemplate {
  /** Handlebars' precompiled template (JavaScript source of its specification). */
  spec: string;
  /** Names to check before rendering (ast.ts inheritedNamePaths), with where they are. */
  inherited: Array<{ name: string; loc: hbs.AST.SourceLocation }>;
  /** The source is one lone mustache (rendered to a typed value). */
  lone: boolean;
}

/** Entries kept in a build's file; the first written are the first to go. */
const MAX_ENTRIES = 2000;
/** Other builds' files are removed once this old. */
const STALE_MS = 24 * 60 * 60_000;

interface Store {
  file: string;
  entries: Record<string, CachedTemplate>;
  added: boolean;
}

let store: Store | undefined | null = null;

function open(): Store | undefined {
  if (store !== null) return store;
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return (store = undefined);
  const build = createHash('sha256').update(readFileSync(self)).digest('hex').slice(0, 20);
  let dir: string;
  try {
    dir = cacheDir('templates');
  } catch {
    // Not private (cache-dir.ts): compiled afresh, as from source. The task cache says why.
    return (store = undefined);
  }
  const file = join(dir, `${build}.json`);
  store = { file, entries: readOwnFile(file), added: false };
  return store;
}

function readOwnFile(file: string): Record<string, CachedTemplate> {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return {};
    const entries = JSON.parse(readFileSync(fd, 'utf8')) as unknown;
    return entries && typeof entries === 'object' && !Array.isArray(entries) ? (entries as Record<string, CachedTemplate>) : {};
  } catch {
    return {};
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const keyOf = (source: string) => createHash('sha256').update(source).digest('hex');

/** Whether compiled templates are kept (in a build, not from source). */
export function templateCacheOn(): boolean {
  return open() !== undefined;
}

export function cachedTemplate(source: string): CachedTemplate | undefined {
  const s = open();
  const entry = s?.entries[keyOf(source)];
  return entry && typeof entry.spec === 'string' && Array.isArray(entry.inherited) ? entry : undefined;
}

export function rememberTemplate(source: string, entry: CachedTemplate): void {
  const s = open();
  if (!s) return;
  if (!s.added) process.once('exit', () => save(s));
  s.added = true;
  s.entries[keyOf(source)] = entry;
}

/** Written when the process ends (synchronously, as 'exit' allows); a cache, so failures are ignored. */
function save(s: Store): void {
  try {
    const dir = join(s.file, '..');
    const keys = Object.keys(s.entries);
    const kept = Object.fromEntries(keys.slice(Math.max(0, keys.length - MAX_ENTRIES)).map((k) => [k, s.entries[k]]));
    const tmp = `${s.file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(kept), { mode: 0o600 });
    renameSync(tmp, s.file);
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path !== s.file && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    }
  } catch {
    // The next run compiles again.
  }
}
