// runbook schema: the JSON Schema of runbook files (every task's args included), for editors:
// `# yaml-language-server: $schema=./runbook.schema.json` at the top of a runbook.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of runbook files (for yaml-language-server and other editors)')
    .action(action(() => schema()));
}

async function schema(): Promise<void> {
  const [{ openProject }, { runbookJsonSchema }] = await Promise.all([import('../context.js'), import('../../load/json-schema.js')]);
  const { registry } = await openProject();
  process.stdout.write(JSON.stringify(runbookJsonSchema(registry), null, 2) + '\n');
}
