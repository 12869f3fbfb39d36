// runbook list: every runbook and task on the search path, one line each, with where it comes from
// and what it replaces (project/library.ts).

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('list')
    .description('list the runbooks and tasks you can use (the project\'s, its packages\', runbook\'s own) with where each comes from')
    .action(action(() => list()));
}

async function list(): Promise<void> {
  const [{ openProject }, { loadRunbook }, { listRunbooks, templateOverrides }, { layerLabel }, { isUserError }, { relative }] = await Promise.all([
    import('../context.js'),
    import('../../load/runbook.js'),
    import('../../project/library.js'),
    import('../../project/layer.js'),
    import('../../errors.js'),
    import('node:path'),
  ]);
  const project = await openProject();
  const shown = (file: string) => (file.startsWith(project.dir + '/') ? relative(project.dir, file) : file);
  const replacing = (layers: Array<Parameters<typeof layerLabel>[0]>) => (layers.length ? ` (replaces ${layers.map(layerLabel).join(', ')})` : '');
  const runbooks: string[][] = [];
  for (const entry of await listRunbooks(project.library)) {
    let about: string;
    try {
      const runbook = await loadRunbook(entry.file, project);
      // The first sentence: a table of one line per runbook.
      about = runbook.description?.split('\n')[0].split(/(?<=\.)\s/)[0] ?? runbook.name;
    } catch (e) {
      if (!isUserError(e)) throw e;
      about = `(does not load: ${e.message.split('\n')[0]}; see \`runbook validate ${shown(entry.file)}\`)`;
    }
    runbooks.push([entry.name, layerLabel(entry.layer) + replacing(entry.replaces), about]);
  }
  await project.registry.load(project.registry.keys());
  const tasks = project.registry.entries().map((e) => [e.task.name, layerLabel(e.layer) + replacing(e.replaces.map((r) => r.layer)), e.task.description]);
  const ambiguous = project.registry.names().flatMap((n) => {
    const choices = project.registry.ambiguous(n);
    return choices ? [[n, `several packages: write ${choices.join(' or ')}`, '']] : [];
  });
  const out = ['Runbooks:', ...table(runbooks), '', 'Tasks:', ...table([...tasks, ...ambiguous])];
  const templates = await templateOverrides(project.library);
  if (templates.length) {
    out.push('', 'Templates the project replaces:', ...table(templates.map((t) => [t.path, shown(t.file), `instead of ${t.replaces.join(', ')}`])));
  }
  process.stdout.write(out.join('\n') + '\n');
}

function table(rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}
