// The search path for runbooks, templates and tasks: the project's own folders first, then the
// runbook packages its runbook.yaml names (in node_modules), then runbook's own library.
//
// - A runbook name (`kafka`) is looked up in that order; from an include, right after the
//   project's folders come the including file's folder and its own package, so a package's
//   runbooks include their siblings. The project wins everywhere: a project runbook or template
//   with a shipped one's name replaces it, in shipped runbooks too (`runbook list` shows it).
// - A name found in two packages is an error that names both: the explicit form
//   `acme-kafka/kafka` (or `runbook/kafka` for ours) says which.
// - Paths (`./x.yaml`, `../shared/y`, absolute) are paths.
// - A template (`src: zoo.cfg.hbs`) is looked for in the project's runbook folders' templates/,
//   then beside the runbook that uses it (its templates/ folder, then the folder itself).

import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { didYouMean } from '../load/suggest.js';
import { readProjectFile, type ProjectFile } from './file.js';
import { assertTrusted, PROJECT_FILE } from './find.js';
import { layerLabel, type Layer } from './layer.js';
import { loadPackage } from './packages.js';
import { RUNBOOK_ROOT } from './version.js';

export interface Library {
  projectDir: string;
  projectFile?: ProjectFile;
  /** Search order: the project, packages as runbook.yaml lists them, runbook's own. */
  layers: Layer[];
  /** Layers by the prefix that names them explicitly (every package, and `runbook`). */
  named: Map<string, Layer>;
}

const YAML_EXTS = ['.yaml', '.yml'];
const withExts = (base: string) => [base, ...YAML_EXTS.map((e) => base + e)];

export function shippedLayer(): Layer {
  return { kind: 'shipped', name: 'runbook', root: RUNBOOK_ROOT, runbookDirs: [join(RUNBOOK_ROOT, 'runbooks')], taskDirs: [join(RUNBOOK_ROOT, 'tasks')] };
}

export async function openLibrary(projectDir: string): Promise<Library> {
  const fileName = join(projectDir, PROJECT_FILE);
  const projectFile = (await isFile(fileName)) ? await readProjectFile(fileName) : undefined;
  const extra = (dirs: string[] | undefined) => (dirs ?? []).map((d) => resolve(projectDir, d));
  const project: Layer = {
    kind: 'project',
    root: projectDir,
    runbookDirs: [join(projectDir, 'runbooks'), ...extra(projectFile?.runbooks)],
    taskDirs: [join(projectDir, 'tasks'), ...extra(projectFile?.tasks)],
  };
  if (projectFile?.tasks.length) await assertTrusted(projectDir, { taskDirs: project.taskDirs });
  const packages = await Promise.all(
    (projectFile?.packages ?? []).map((name, i) => loadPackage(projectDir, name, projectFile!.positions[`packages.${i}`])),
  );
  const shipped = shippedLayer();
  // Inside runbook's own checkout the project is the shipped library: one layer, both names.
  const isShipped = resolve(projectDir) === resolve(shipped.root);
  if (isShipped) project.name = shipped.name;
  const layers = [project, ...packages, ...(isShipped ? [] : [shipped])];
  const named = new Map<string, Layer>([...packages.map((p) => [p.name!, p] as const), ['runbook', isShipped ? project : shipped]]);
  return { projectDir, projectFile, layers, named };
}

/** The inventory runbook.yaml names, for commands given no -i. */
export function defaultInventory(library: Library): string | undefined {
  const given = library.projectFile?.inventory;
  return given === undefined ? undefined : resolve(library.projectDir, given);
}

/** Where a project puts templates that replace those of the same name in any runbook. */
export function templateOverrideDirs(library: Library): string[] {
  return library.layers[0].runbookDirs.map((d) => join(d, 'templates'));
}

export interface RunbookRef {
  /** The including file, when resolving an `include:`. */
  from?: string;
  /** Where the name is written, for errors. */
  pos?: SourcePos;
}

/** The runbook file a name, explicit name or path stands for. */
export async function resolveRunbook(library: Library, ref: string, at: RunbookRef = {}): Promise<string> {
  const notFound = (message: string, hint?: string) => new UserError(at.from ? 'include' : 'not-found', message, { pos: at.pos, hint });
  if (isAbsolute(ref) || ref.startsWith('./') || ref.startsWith('../')) {
    const path = resolve(at.from ? dirname(at.from) : process.cwd(), ref);
    const found = await firstFile(withExts(path));
    if (found) return found;
    throw notFound(`no runbook at ${path}`);
  }
  const explicit = [...library.named].find(([name]) => ref.startsWith(`${name}/`));
  if (explicit) {
    const [prefix, layer] = explicit;
    const name = ref.slice(prefix.length + 1);
    const found = await inLayer(layer, name);
    if (found) return found;
    throw notFound(`${layerLabel(layer)} has no runbook "${name}"`, didYouMean(name, (await runbooksOf(layer)).map((r) => r.name)) ?? `its runbooks are in ${layer.runbookDirs.join(', ')}`);
  }
  const [project, ...rest] = library.layers;
  const own = at.from === undefined ? undefined : rest.find((l) => l.kind !== 'project' && contains(l.root, at.from!));
  const found =
    (await inLayer(project, ref)) ??
    (at.from === undefined ? undefined : await firstFile(withExts(resolve(dirname(at.from), ref)))) ??
    (own && (await inLayer(own, ref))) ??
    (await inPackages(library, ref, at)) ??
    (await inLayer(library.layers.at(-1)!, ref)) ??
    (at.from === undefined ? await firstFile([resolve(ref)]) : undefined);
  if (found) return found;
  const everywhere = (await listRunbooks(library)).map((r) => r.name);
  const looked = library.layers.map(layerLabel).join(', ');
  throw notFound(`${at.from ? 'cannot find included runbook' : 'no runbook'} "${ref}" (looked in ${looked}${at.from ? '' : ' and for the path'})`, didYouMean(ref, everywhere) ?? '`runbook list` shows every runbook and where it comes from');
}

async function inPackages(library: Library, ref: string, at: RunbookRef): Promise<string | undefined> {
  const packages = library.layers.filter((l) => l.kind === 'package');
  const hits = (await Promise.all(packages.map(async (l) => [l, await inLayer(l, ref)] as const))).filter(([, f]) => f !== undefined);
  if (hits.length > 1) {
    throw new UserError('ambiguous', `runbook "${ref}" is in ${hits.length} packages: ${hits.map(([l, f]) => `${l.name} (${f})`).join(', ')}`, {
      pos: at.pos,
      hint: `say which: ${hits.map(([l]) => `${l.name}/${ref}`).join(' or ')}`,
    });
  }
  return hits[0]?.[1];
}

async function inLayer(layer: Layer, name: string): Promise<string | undefined> {
  for (const dir of layer.runbookDirs) {
    const found = await firstFile(withExts(join(dir, name)));
    // `name` may not climb out of the folder (`../x` is a path, written as one).
    if (found && contains(dir, found)) return found;
  }
  return undefined;
}

export interface ListedRunbook {
  name: string;
  file: string;
  layer: Layer;
  /** Runbooks of the same name further down the search path, which this one replaces. */
  replaces: Layer[];
}

/** Every runbook on the search path (the top level of each runbook folder), first-found first. */
export async function listRunbooks(library: Library): Promise<ListedRunbook[]> {
  const byName = new Map<string, ListedRunbook>();
  for (const layer of library.layers) {
    for (const { name, file } of await runbooksOf(layer)) {
      const first = byName.get(name);
      if (first) {
        if (first.layer !== layer) first.replaces.push(layer);
      } else byName.set(name, { name, file, layer, replaces: [] });
    }
  }
  return [...byName.values()];
}

async function runbooksOf(layer: Layer): Promise<Array<{ name: string; file: string }>> {
  const out: Array<{ name: string; file: string }> = [];
  for (const dir of layer.runbookDirs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const e of entries.filter((n) => YAML_EXTS.includes(extname(n))).sort()) out.push({ name: basename(e, extname(e)), file: join(dir, e) });
  }
  return out;
}

/** Templates of the project that replace a template of the same path in a package or in ours. */
export async function templateOverrides(library: Library): Promise<Array<{ path: string; file: string; replaces: string[] }>> {
  const out: Array<{ path: string; file: string; replaces: string[] }> = [];
  for (const dir of templateOverrideDirs(library)) {
    for (const path of await filesUnder(dir)) {
      const replaces: string[] = [];
      for (const layer of library.layers.slice(1)) {
        for (const other of layer.runbookDirs) if (await isFile(join(other, 'templates', path))) replaces.push(join(other, 'templates', path));
      }
      if (replaces.length) out.push({ path, file: join(dir, path), replaces });
    }
  }
  return out;
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? join(prefix, e.name) : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

function contains(dir: string, file: string): boolean {
  const d = resolve(dir);
  return resolve(file).startsWith(d.endsWith(sep) ? d : d + sep);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function firstFile(candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) if (await isFile(c)) return c;
  return undefined;
}
