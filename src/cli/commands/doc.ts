// runbook doc <task>: a task's documentation and its argument schema.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('doc')
    .description("show a task's documentation, with an example and a table of its arguments (type, default, description)")
    .argument('<task>', 'task name, e.g. template')
    .action(action((name: string) => doc(name)));
}

async function doc(name: string): Promise<void> {
  const [{ openProject }, { UserError }, { argRows, formatArgTable }] = await Promise.all([import('../context.js'), import('../../errors.js'), import('../../ui/args-table.js')]);
  const { registry } = await openProject();
  await registry.load([name]);
  const task = registry.get(name);
  if (!task) {
    const near = registry.suggest(name);
    throw new UserError('usage', `no task named ${JSON.stringify(name)}`, {
      hint: near ? `did you mean ${near}? (\`runbook list\` shows every task)` : '`runbook list` shows every task',
    });
  }
  const table = formatArgTable(argRows(task.args), process.stdout.columns || 100);
  const secret = task.secretArgs?.length ? `\nSecret arguments (masked in logs and the journal): ${task.secretArgs.join(', ')}\n` : '';
  const aliases = Object.entries(task.aliases ?? {});
  const aliasText = aliases.length ? `\nAnsible's alias names, taken as the argument's own: ${aliases.map(([a, n]) => `${a} (${n})`).join(', ')}\n` : '';
  const override = task.override ? '\nThis task replaces one of the same name further down the search path (`runbook list` shows which).\n' : '';
  process.stdout.write(`${task.name}: ${task.description}\n\n${task.doc.trim()}\n${secret}${aliasText}${override}\nArguments:\n${table.join('\n')}\n`);
}
