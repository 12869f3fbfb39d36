// What most commands need first: the project directory and the task registry (ours, then the
// project's own tasks/), and loading a runbook and an inventory by the names the user gave.

import { resolve } from 'node:path';
import { loadTaskRegistry, builtinTaskDir, type TaskRegistry } from '../task/registry.js';
import { loadRunbook } from '../load/runbook.js';
import { loadInventory } from '../load/inventory.js';
import type { Inventory, Runbook } from '../model.js';
import { findProjectDir } from './project.js';

export interface Project {
  dir: string;
  registry: TaskRegistry;
}

export async function openProject(): Promise<Project> {
  const dir = await findProjectDir();
  const dirs = [...new Set([resolve(builtinTaskDir()), resolve(dir, 'tasks')])];
  return { dir, registry: await loadTaskRegistry(dirs) };
}

export async function loadPlayInput(project: Project, ref: string, inventoryPath: string | undefined): Promise<{ runbook: Runbook; inventory: Inventory }> {
  const [runbook, inventory] = await Promise.all([
    loadRunbook(ref, { projectDir: project.dir, registry: project.registry }),
    loadInventory(inventoryPath),
  ]);
  return { runbook, inventory };
}
