// runbook init [dir] [--package]: scaffold an ops repository, or a runbook package to share.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('start an ops repository (runbook.yaml, inventory/, runbooks/site.yaml, tasks/) or, with --package, a runbook package; never overwrites')
    .argument('[dir]', 'the folder to create it in (made if missing)', '.')
    .option('--package', 'a runbook package (package.json with a "runbook" key, runbooks/, tasks/) for other repositories to use')
    .action(action((dir: string, flags: { package?: boolean }) => init(dir, flags)));
}

async function init(dir: string, flags: { package?: boolean }): Promise<void> {
  const [{ projectScaffold, packageScaffold, writeScaffold }, { resolve }] = await Promise.all([import('../../project/init.js'), import('node:path')]);
  const target = resolve(dir);
  const scaffold = flags.package ? await packageScaffold(target) : await projectScaffold(target);
  const written = await writeScaffold(scaffold);
  process.stdout.write(`Created in ${target}:\n${written.map((p) => `  ${p}`).join('\n')}\n\nNext:\n${scaffold.next.map((l) => `  ${l}`).join('\n')}\n`);
}
