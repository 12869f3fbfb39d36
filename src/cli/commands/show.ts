// runbook show <runbook>: the plan, without connecting: for every host, its vars and the steps it
// would run (after includes and tags), their conditions and rendered args, secrets masked.

import type { Command } from 'commander';
import { action } from '../action.js';

interface ShowFlags {
  inventory?: string;
  limit?: string;
  tags: string[];
  skipTags: string[];
  extraVars: string[];
  step: string[];
  startAtStep?: string;
}

const tagList = (value: string, previous: string[]) => [...previous, ...value.split(',').map((t) => t.trim()).filter(Boolean)];

export function register(program: Command): void {
  program
    .command('show')
    .description('show the plan: the steps each host would run, with its vars, conditions and args (secrets masked)')
    .argument('<runbook>', 'runbook name in runbooks/ or a path')
    .option('-i, --inventory <path>', 'inventory file (YAML or Ansible INI); default: the one runbook.yaml names, else localhost')
    .option('-l, --limit <pattern>', 'only these hosts')
    .option('-t, --tags <tags>', 'only steps with these tags', tagList, [])
    .option('--skip-tags <tags>', 'skip steps with these tags', tagList, [])
    .option('--step <name>', 'only the steps with this name (a glob; repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--start-at-step <name>', 'leave out the steps before the first with this name (or this checkpoint)')
    .option('-e, --extra-vars <vars>', 'key=value, a YAML/JSON mapping, or @file.yaml (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(action((ref: string, flags: ShowFlags) => show(ref, flags)));
}

async function show(ref: string, flags: ShowFlags): Promise<void> {
  const [{ openProject, loadPlayInput }, { planPlay }, { parseExtraVars }, { formatPlan }] = await Promise.all([
    import('../context.js'),
    import('../../engine/plan.js'),
    import('../../load/extra-vars.js'),
    import('../../ui/plan.js'),
  ]);
  const project = await openProject();
  const extraVars = await parseExtraVars(flags.extraVars);
  const { runbook, inventory } = await loadPlayInput(project, ref, flags.inventory);
  const plan = await planPlay({ runbook, inventory, registry: project.registry, extraVars, limit: flags.limit, tags: { only: flags.tags, skip: flags.skipTags }, steps: { names: flags.step, startAt: flags.startAtStep } });
  process.stdout.write(formatPlan(plan, inventory));
}
