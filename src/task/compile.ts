// Task modules are TypeScript that their authors never build. Loading them through a TypeScript
// loader on every command cost about a second (loader hooks on every import); instead they are
// bundled once with esbuild (the compiler tsx itself uses) into plain ES modules kept in a cache,
// keyed by the content of every file that went into them, and imported natively after that.
//
// Bare imports are resolved at bundle time to absolute paths, `runbook` to the API module of the
// runbook that is running: tasks then share the engine's module instances, and a team's task
// directory needs no node_modules of its own.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from '../project/cache-dir.js';
import { RUNBOOK_ROOT } from '../project/version.js';

/** What choosing between tasks needs of a module (registry.ts), known without importing it. */
export interface TaskHeader {
  name: string;
  override: boolean;
}

interface Manifest {
  /** sha256 of each input file, by absolute path. */
  inputs: Record<string, string>;
  /** Compiled module (file name in the cache dir) for each task file. */
  outputs: Record<string, string>;
  /** Each task file's header, once a run has imported every module of this build. */
  headers?: Record<string, TaskHeader>;
}

export interface CompiledTasks {
  /** Module URL of each task file (absolute path). */
  url(file: string): string;
  /** Each file's header, if a run of this build has recorded them. */
  headers?: Record<string, TaskHeader>;
  /** Records the headers for later runs, which then import only the modules they use. */
  saveHeaders(headers: Record<string, TaskHeader>): Promise<void>;
}

/** The running API module: src/api.ts under the TypeScript loader (tests), the bundle's dist/api.js otherwise. */
function apiModulePath(): string {
  return import.meta.url.endsWith('.ts') ? join(RUNBOOK_ROOT, 'src', 'api.ts') : join(RUNBOOK_ROOT, 'dist', 'api.js');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The compiled modules of the given task files (absolute paths); compiled now only when a file
 * that went into the cached build has changed since.
 */
export async function compiledTaskModules(files: string[]): Promise<CompiledTasks> {
  const api = apiModulePath();
  const dir = join(cacheDir('tasks'), sha256(JSON.stringify({ files, api, node: process.versions.modules })).slice(0, 32));
  let manifest = files.length === 0 ? { inputs: {}, outputs: {} } : await readManifest(dir);
  if (!manifest || files.some((f) => !manifest!.outputs[f]) || !(await inputsUnchanged(manifest))) manifest = await build(files, api, dir);
  const built = manifest;
  return {
    url: (file) => pathToFileURL(join(dir, built.outputs[file])).href,
    headers: built.headers,
    saveHeaders: (headers) => (files.length === 0 ? Promise.resolve() : writeManifest(dir, { ...built, headers })),
  };
}

async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const tmp = join(dir, `manifest.json.${process.pid}`);
  await writeFile(tmp, JSON.stringify(manifest));
  await rename(tmp, join(dir, 'manifest.json'));
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

async function inputsUnchanged(manifest: Manifest): Promise<boolean> {
  const checks = await Promise.all(
    Object.entries(manifest.inputs).map(async ([path, hash]) => {
      try {
        return sha256(await readFile(path)) === hash;
      } catch {
        return false;
      }
    }),
  );
  return checks.every(Boolean);
}

async function build(files: string[], api: string, dir: string): Promise<Manifest> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: files,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: dir,
    // Content-hashed names: a process still importing the previous build never sees a file change.
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    sourcemap: 'inline',
    metafile: true,
    write: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'absolute-imports',
        setup(b) {
          b.onResolve({ filter: /^runbook$/ }, () => ({ path: pathToFileURL(api).href, external: true }));
          // Other packages: resolved from the importing file, as Node would, then kept external.
          b.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
            const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'resolving' });
            if (found.errors.length || !found.path) return undefined;
            return { path: found.external ? found.path : pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  const inputs: Record<string, string> = {};
  const cwd = process.cwd();
  await Promise.all(
    Object.keys(result.metafile.inputs).map(async (rel) => {
      const path = rel.startsWith('/') ? rel : join(cwd, rel);
      inputs[path] = sha256(await readFile(path));
    }),
  );
  // esbuild names entry points by their real paths: a task folder reached through a symlink
  // (a project under a linked home) is looked up by the path it was given.
  const given = new Map(await Promise.all(files.map(async (f) => [await realpath(f), f] as const)));
  const outputs: Record<string, string> = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const entry = meta.entryPoint.startsWith('/') ? meta.entryPoint : join(cwd, meta.entryPoint);
    outputs[given.get(entry) ?? entry] = basename(out);
  }
  const manifest: Manifest = { inputs, outputs };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeManifest(dir, manifest);
  await pruneOldBuilds(dir, new Set(Object.keys(result.metafile.outputs).map((o) => basename(o))));
  return manifest;
}

/**
 * Earlier builds' modules, now unreferenced. Only old ones: another runbook process may have just
 * built (from files being edited) and not yet imported its own modules.
 */
async function pruneOldBuilds(dir: string, keep: Set<string>): Promise<void> {
  const cutoff = Date.now() - 60 * 60_000;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.mjs') || keep.has(name)) continue;
    const path = join(dir, name);
    const modified = (await stat(path).catch(() => undefined))?.mtimeMs;
    if (modified !== undefined && modified < cutoff) await rm(path, { force: true });
  }
}
