// runbook list: the project's runbooks and the tasks they can use, one line each.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('list')
    .description('list the runbooks in runbooks/ and the available tasks, with one-line descriptions')
    .action(action(() => list()));
}

async function list(): Promise<void> {
  const [{ openProject }, { loadRunbook }, { readdir }, { join }, { isUserError }] = await Promise.all([
    import('../context.js'),
    import('../../load/runbook.js'),
    import('node:fs/promises'),
    import('node:path'),
    import('../../errors.js'),
  ]);
  const project = await openProject();
  const dir = join(project.dir, 'runbooks');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.ya?ml$/.test(n)).sort();
  const rows: Array<[string, string]> = [];
  for (const file of files) {
    try {
      const runbook = await loadRunbook(join(dir, file), { projectDir: project.dir, registry: project.registry });
      rows.push([file.replace(/\.ya?ml$/, ''), runbook.description ?? runbook.name]);
    } catch (e) {
      if (!isUserError(e)) throw e;
      rows.push([file.replace(/\.ya?ml$/, ''), `(does not load: ${e.message.split('\n')[0]}; see \`runbook validate ${file}\`)`]);
    }
  }
  const out: string[] = [`Runbooks (${dir}):`, ...table(rows), '', 'Tasks:'];
  out.push(...table(project.registry.names().map((name) => [name, project.registry.get(name)!.description])));
  process.stdout.write(out.join('\n') + '\n');
}

function table(rows: Array<[string, string]>): string[] {
  if (rows.length === 0) return ['  (none)'];
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`);
}
