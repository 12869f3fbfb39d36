// Everything a run was started with, loaded again from its header: the runbook and inventory
// files it names, and its extra vars (secrets given again by the user, since the
// header keeps them only redacted).

import { UserError } from '../errors.js';
import { loadInventory } from '../load/inventory.js';
import { loadRunbook } from '../load/runbook.js';
import type { Inventory, Runbook, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { Library } from '../project/library.js';
import type { RunHeader } from './records.js';

export interface RunContext {
  registry: TaskRegistry;
  runbook: Runbook;
  inventory: Inventory;
  extraVars: Vars;
}

export async function reloadContext(header: RunHeader, given: Vars, project: { library: Library; registry: TaskRegistry }): Promise<RunContext> {
  const { registry } = project;
  const missing = header.redactedVars.filter((name) => !Object.hasOwn(given, name));
  if (missing.length) {
    throw new UserError('usage', `run ${header.id} had secret vars that are not journaled: ${missing.join(', ')}`, {
      hint: `give them again: ${missing.map((n) => `-e ${n}=...`).join(' ')} (or the -e @file they came from, with its vault password)`,
    });
  }
  const runbook = await loadRunbook(header.runbook.file, project);
  const inventory = await loadInventory(header.inventory.file, { varsDirs: [runbook.dir] });
  return { registry, runbook, inventory, extraVars: { ...header.extraVars, ...given } };
}
