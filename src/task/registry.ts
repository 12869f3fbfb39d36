// The tasks a runbook can name: every top-level `*.ts` module in the task folders of each layer
// of the search path (the project's, then its packages', then ours), compiled and cached on first
// use (compile.ts) so task authors need no build step.
//
// A bare name means the project's task, else the one package's that defines it, else ours. A task
// that takes the name of one further down must say `override: true` (never a silent replacement);
// a name two packages define must be written explicitly, `acme-kafka/restart` (`runbook/apt` is
// always ours).
//
// Modules are imported only for the tasks a command uses (`load`): the names and overrides that
// choosing needs are recorded in the compile cache by the first run of a build, which imports
// them all (and so reports every broken module).

import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isUserError, UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { closest } from '../load/suggest.js';
import { layerLabel, type Layer } from '../project/layer.js';
import { compiledTaskModules, type TaskHeader } from './compile.js';
import type { TaskDefinition } from './types.js';

export interface TaskEntry {
  task: TaskDefinition;
  file: string;
  layer: Layer;
  /** Tasks of the same name further down the search path that this one replaces. */
  replaces: { file: string; layer: Layer }[];
}

export interface TaskRegistry {
  /** Whether a runbook's key names a task: bare (`template`) or explicit (`acme-kafka/restart`). */
  has(name: string): boolean;
  /** Imports the modules of the named tasks (names that are no task are passed over); before `get`. */
  load(names: Iterable<string>): Promise<void>;
  /** The task a name means; its module must have been loaded. */
  get(name: string): TaskDefinition | undefined;
  /** For a bare name that several packages define: the explicit names to choose from. */
  ambiguous(name: string): string[] | undefined;
  /** Every bare name, sorted. */
  names(): string[];
  /** Every key a step may name a task by: the unambiguous bare names, then the explicit ones. */
  keys(): string[];
  /** The task each bare name means (ambiguous ones left out), with where it comes from; after `load(keys())`. */
  entries(): TaskEntry[];
  suggest(name: string): string | undefined;
}

interface Candidate extends TaskHeader {
  file: string;
  layer: Layer;
}

export async function loadTaskRegistry(layers: Layer[]): Promise<TaskRegistry> {
  const perLayer = await Promise.all(
    layers.map(async (layer) => ({ layer, files: [...new Set((await Promise.all(layer.taskDirs.map(taskFiles))).flat())] })),
  );
  const files = perLayer.flatMap((l) => l.files);
  let compiled;
  try {
    compiled = await compiledTaskModules(files);
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError('task-module', `cannot compile the task modules: ${(e as Error).message}`, {}, { cause: e });
  }
  const loaded = new Map<string, TaskDefinition>();
  const loading = new Map<string, Promise<void>>();
  const importFile = (file: string): Promise<void> => {
    let done = loading.get(file);
    if (!done) loading.set(file, (done = importTask(file, compiled.url(file)).then((task) => void loaded.set(file, task))));
    return done;
  };
  let headers = compiled.headers;
  if (!headers) {
    await Promise.all(files.map(importFile));
    headers = Object.fromEntries(files.map((f) => [f, { name: loaded.get(f)!.name, override: loaded.get(f)!.override === true }]));
    await compiled.saveHeaders(headers);
  }

  const explicit = new Map<string, string>();
  // Per tier (the project, the packages, ours): the candidates of each name.
  const tiers = { project: new Map<string, Candidate[]>(), package: new Map<string, Candidate[]>(), shipped: new Map<string, Candidate[]>() };
  for (const { layer, files: layerFiles } of perLayer) {
    const seen = new Map<string, string>();
    for (const file of layerFiles) {
      const { name, override } = headers[file];
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        throw new UserError('task-module', `${file} defines task "${name}", which ${earlier} already defines`, {
          pos: await namePos(file, name),
          hint: 'give one of them another name',
        });
      }
      seen.set(name, file);
      const tier = tiers[layer.kind];
      tier.set(name, [...(tier.get(name) ?? []), { name, override, file, layer }]);
      if (layer.name) explicit.set(`${layer.name}/${name}`, file);
    }
  }

  const bare = new Map<string, Candidate & { replaces: Candidate[] }>();
  const ambiguous = new Map<string, string[]>();
  const allNames = [...new Set([...tiers.project.keys(), ...tiers.package.keys(), ...tiers.shipped.keys()])].sort();
  for (const name of allNames) {
    const [project] = tiers.project.get(name) ?? [];
    const packages = tiers.package.get(name) ?? [];
    const shipped = tiers.shipped.get(name) ?? [];
    const below = project ? [...packages, ...shipped] : packages.length ? shipped : [];
    for (const over of project ? [project] : packages) {
      if (below.length === 0 || over.override) continue;
      const what = below.map((b) => `the one of ${layerLabel(b.layer)} (${b.file})`).join(' and ');
      throw new UserError('task-module', `task "${name}" in ${over.file} would replace ${what}`, {
        pos: await namePos(over.file, name),
        hint: `rename it, or add \`override: true\` to its definition if every runbook that says ${name}: should run it`,
      });
    }
    const chosen = project ?? (packages.length === 1 ? packages[0] : packages.length === 0 ? shipped[0] : undefined);
    if (chosen) bare.set(name, { ...chosen, replaces: below });
    else ambiguous.set(name, packages.map((p) => `${p.layer.name}/${name}`));
  }
  const fileOf = (name: string) => bare.get(name)?.file ?? explicit.get(name);
  const taskIn = (file: string, name: string) => {
    const task = loaded.get(file);
    // A bug, not a user's mistake: every path that runs a task loads it first.
    if (!task) throw new Error(`task "${name}" asked for before its module was loaded (TaskRegistry.load)`);
    return task;
  };
  return {
    has: (name) => fileOf(name) !== undefined,
    load: async (names) => {
      await Promise.all([...new Set(names)].flatMap((name) => fileOf(name) ?? []).map(importFile));
    },
    get: (name) => {
      const file = fileOf(name);
      return file === undefined ? undefined : taskIn(file, name);
    },
    ambiguous: (name) => ambiguous.get(name),
    names: () => allNames,
    keys: () => [...bare.keys(), ...[...explicit.keys()].sort()],
    entries: () =>
      allNames.flatMap((n) => {
        const c = bare.get(n);
        return c ? [{ task: taskIn(c.file, n), file: c.file, layer: c.layer, replaces: c.replaces.map(({ file, layer }) => ({ file, layer })) }] : [];
      }),
    suggest: (name) => closest(name, allNames),
  };
}

/** Where a task module says `name: '<name>'`, for errors about the task. */
async function namePos(file: string, name: string): Promise<SourcePos> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const quoted = ['"', "'", '`'].map((q) => q + name + q);
  const at = findNameAt(text, quoted);
  if (at < 0) return { file, line: 1, col: 1 };
  const before = text.slice(0, at).split('\n');
  return { file, line: before.length, col: before.at(-1)!.length + 1 };
}

function findNameAt(text: string, quoted: string[]): number {
  for (const m of text.matchAll(/\bname\s*:\s*/g)) {
    const rest = text.slice(m.index + m[0].length);
    if (quoted.some((q) => rest.startsWith(q))) return m.index;
  }
  return -1;
}

async function taskFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => resolve(join(dir, e.name)))
    .sort();
}

async function importTask(file: string, moduleUrl: string): Promise<TaskDefinition> {
  let module: { default?: unknown };
  try {
    module = (await import(moduleUrl)) as { default?: unknown };
  } catch (e) {
    throw new UserError('task-module', `cannot load task module ${file}: ${(e as Error).message}`, {}, { cause: e });
  }
  const task = module.default as Record<string, unknown> | undefined;
  const valid =
    task &&
    typeof task.name === 'string' &&
    typeof task.check === 'function' &&
    typeof task.apply === 'function' &&
    (task.probe === undefined || typeof task.probe === 'function') &&
    typeof (task.args as { safeParse?: unknown } | undefined)?.safeParse === 'function';
  if (!valid) {
    throw new UserError('task-module', `${file} does not default-export a task`, {
      hint: "export default defineTask({ name, description, doc, args, check, apply }) from 'runbook'",
    });
  }
  return task as unknown as TaskDefinition;
}
