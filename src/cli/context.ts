// What most commands need first: the project, its search path (project/library.ts) and the tasks
// on it, and loading a runbook and an inventory by the names the user gave.

import { loadTaskRegistry, type TaskRegistry } from '../task/registry.js';
import { loadRunbook } from '../load/runbook.js';
import { loadInventory } from '../load/inventory.js';
import type { Inventory, Runbook } from '../model.js';
import { findProjectDir } from '../project/find.js';
import { defaultInventory, openLibrary, type Library } from '../project/library.js';

export interface Project {
  dir: string;
  library: Library;
  registry: TaskRegistry;
}

/** The project found from the working directory (or named with -C). */
export async function openProject(): Promise<Project> {
  return openProjectAt(await findProjectDir());
}

export async function openProjectAt(dir: string): Promise<Project> {
  const library = await openLibrary(dir);
  return { dir, library, registry: await loadTaskRegistry(library.layers) };
}

/** A runbook and the inventory it plays on, with the group_vars/ and host_vars/ beside the runbook too. */
export async function loadPlayInput(project: Project, ref: string, inventoryPath: string | undefined): Promise<{ runbook: Runbook; inventory: Inventory }> {
  const runbook = await loadRunbook(ref, { library: project.library, registry: project.registry });
  const inventory = await loadInventory(inventoryPath ?? defaultInventory(project.library), { varsDirs: [runbook.dir] });
  return { runbook, inventory };
}
