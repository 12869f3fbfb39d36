// runbook validate [runbook...]: load and check runbooks without connecting to anything. With an
// inventory, also plan them (every step's args rendered and checked for every host).

import type { Command } from 'commander';
import { action, report } from '../action.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check runbooks (YAML, schema, tasks and their args, templates) without connecting to any host')
    .argument('[runbook...]', 'runbook names or paths; default: every runbook of the project')
    .option('-i, --inventory <path>', 'also plan against this inventory (default: the one runbook.yaml names): render and check every step for every host')
    .option('-e, --extra-vars <vars>', 'key=value, a YAML/JSON mapping, or @file.yaml (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(action((refs: string[], flags: { inventory?: string; extraVars: string[] }) => validate(refs, flags)));
}

async function validate(refs: string[], flags: { inventory?: string; extraVars: string[] }): Promise<number> {
  const [{ openProject }, { loadRunbook }, { loadInventory }, { planPlay }, { parseExtraVars }, { listRunbooks, defaultInventory }] = await Promise.all([
    import('../context.js'),
    import('../../load/runbook.js'),
    import('../../load/inventory.js'),
    import('../../engine/plan.js'),
    import('../../load/extra-vars.js'),
    import('../../project/library.js'),
  ]);
  const project = await openProject();
  const extraVars = await parseExtraVars(flags.extraVars);
  const inventoryPath = flags.inventory ?? defaultInventory(project.library);

  // Without names: the project's own runbooks (those of packages and ours are checked by their authors).
  const names = refs.length > 0 ? refs : (await listRunbooks(project.library)).filter((r) => r.layer === project.library.layers[0]).map((r) => r.file);
  let failed = 0;
  for (const ref of names) {
    try {
      const runbook = await loadRunbook(ref, project);
      const inventory = inventoryPath === undefined ? undefined : await loadInventory(inventoryPath, { varsDirs: [runbook.dir] });
      if (inventory) await planPlay({ runbook, inventory, registry: project.registry, extraVars, tags: { only: [], skip: [] } });
      process.stdout.write(`ok: ${ref}\n`);
    } catch (e) {
      failed++;
      const code = await report(e);
      if (code !== 1) return code;
    }
  }
  if (names.length === 0) process.stdout.write('no runbooks found\n');
  return failed > 0 ? 1 : 0;
}
