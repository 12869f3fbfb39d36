// The tasks a runbook can name: every top-level `*.ts` module in the task directories (ours, then
// the project's own), compiled and cached on first use (compile.ts) so task authors need no build step.

import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { closest } from '../load/suggest.js';
import { compiledTaskModules } from './compile.js';
import type { TaskDefinition } from './types.js';

export interface TaskRegistry {
  get(name: string): TaskDefinition | undefined;
  names(): string[];
  suggest(name: string): string | undefined;
}

/** The package's own tasks/ (from src/task or dist/task alike). */
export function builtinTaskDir(): string {
  return fileURLToPath(new URL('../../tasks/', import.meta.url));
}

/**
 * Loads every task module of each dir. Two modules may not define the same task: a project's task
 * that silently replaced a built-in one would change what every shipped runbook does.
 */
export async function loadTaskRegistry(dirs: string[]): Promise<TaskRegistry> {
  const tasks = new Map<string, TaskDefinition>();
  const definedIn = new Map<string, string>();
  const files = (await Promise.all(dirs.map(taskFiles))).flat();
  let modules: string[];
  try {
    modules = await compiledTaskModules(files);
  } catch (e) {
    throw new UserError('task-module', `cannot compile the task modules: ${(e as Error).message}`, {}, { cause: e });
  }
  const loaded = await Promise.all(files.map((file, i) => importTask(file, modules[i])));
  loaded.forEach((task, i) => {
    const earlier = definedIn.get(task.name);
    if (earlier !== undefined) {
      throw new UserError('task-module', `${files[i]} defines task "${task.name}", which ${earlier} already defines`, {
        hint: 'give your task another name (a task never replaces another, least of all a built-in one)',
      });
    }
    definedIn.set(task.name, files[i]);
    tasks.set(task.name, task);
  });
  const sorted = [...tasks.keys()].sort();
  return {
    get: (name) => tasks.get(name),
    names: () => sorted,
    suggest: (name) => closest(name, sorted),
  };
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
    typeof (task.args as { safeParse?: unknown } | undefined)?.safeParse === 'function';
  if (!valid) {
    throw new UserError('task-module', `${file} does not default-export a task`, {
      hint: "export default defineTask({ name, description, doc, args, check, apply }) from 'runbook'",
    });
  }
  return task as unknown as TaskDefinition;
}
