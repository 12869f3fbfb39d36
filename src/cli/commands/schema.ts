// runbook schema: the JSON Schema of runbook files (every task's args included), for editors:
// `# yaml-language-server: $schema=./runbook.schema.json` at the top of a runbook; and
// `runbook schema status`, the one of `runbook status --json` (published as docs/status.schema.json).

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('schema')
    .argument('[of]', "runbook: runbook files; status: the output of 'runbook status --json'", 'runbook')
    .description('print the JSON Schema of runbook files (for yaml-language-server and other editors) or of status --json')
    .action(action((of: string) => schema(of)));
}

async function schema(of: string): Promise<void> {
  if (of === 'status') {
    const { statusJsonSchema } = await import('../../status/report.js');
    process.stdout.write(JSON.stringify(statusJsonSchema(), null, 2) + '\n');
    return;
  }
  if (of !== 'runbook') {
    const { UserError } = await import('../../errors.js');
    throw new UserError('usage', `runbook schema ${of}: expected runbook or status`);
  }
  const [{ openProject }, { runbookJsonSchema }] = await Promise.all([import('../context.js'), import('../../load/json-schema.js')]);
  const { registry } = await openProject();
  await registry.load(registry.keys());
  process.stdout.write(JSON.stringify(runbookJsonSchema(registry), null, 2) + '\n');
}
