// runbook validate [runbook...]: load and check runbooks without connecting to anything. With an
// inventory, also plan them (every step's args rendered and checked for every host).

import type { Command } from 'commander';
import { action, report } from '../action.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check runbooks (YAML, schema, tasks and their args, templates) without connecting to any host')
    .argument('[runbook...]', 'runbook names or paths; default: every runbook in runbooks/')
    .option('-i, --inventory <path>', 'also plan against this inventory: render and check every step for every host')
    .option('-e, --extra-vars <vars>', 'key=value, a YAML/JSON mapping, or @file.yaml (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(action((refs: string[], flags: { inventory?: string; extraVars: string[] }) => validate(refs, flags)));
}

async function validate(refs: string[], flags: { inventory?: string; extraVars: string[] }): Promise<number> {
  const [{ openProject }, { loadRunbook }, { loadInventory }, { planPlay }, { parseExtraVars }, { readdir }, { join }] = await Promise.all([
    import('../context.js'),
    import('../../load/runbook.js'),
    import('../../load/inventory.js'),
    import('../../engine/plan.js'),
    import('../../load/extra-vars.js'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const project = await openProject();
  const extraVars = await parseExtraVars(flags.extraVars);
  const inventory = flags.inventory === undefined ? undefined : await loadInventory(flags.inventory);
  let names = refs;
  if (names.length === 0) {
    const dir = join(project.dir, 'runbooks');
    names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(dir, n));
  }
  let failed = 0;
  for (const ref of names) {
    try {
      const runbook = await loadRunbook(ref, { projectDir: project.dir, registry: project.registry });
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
