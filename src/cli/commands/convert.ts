// runbook convert <playbook.yml | role dir>: an Ansible playbook or role as runbooks, beside the
// project's own. Never overwrites a file without --force; lists every task it could not translate
// (each a failing step in the runbook) and what it kept in another form.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('convert')
    .description('write runbooks (and templates/*.hbs) from an Ansible playbook or role; what cannot be translated is listed and left as a failing step')
    .argument('<source>', 'a playbook file, or a role directory (with tasks/)')
    .option('-o, --out <dir>', 'where to write the runbooks', 'runbooks')
    .option('--force', 'overwrite files that exist')
    .action(action((source: string, flags: { out: string; force?: boolean }) => convert(source, flags)));
}

async function convert(source: string, flags: { out: string; force?: boolean }): Promise<number> {
  const [{ openProject }, { convertAnsible }, { UserError }, fs, path] = await Promise.all([
    import('../context.js'),
    import('../../convert/playbook.js'),
    import('../../errors.js'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const project = await openProject();
  const cwd = process.cwd();
  const result = await convertAnsible(path.resolve(source), project.registry, cwd);
  const out = path.resolve(flags.out);
  const targets = [...result.files].filter(([, content]) => content !== null).map(([f]) => path.join(out, f));
  if (!flags.force) {
    const existing = (await Promise.all(targets.map((t) => fs.lstat(t).then(() => t, () => undefined)))).filter(Boolean);
    if (existing.length > 0) {
      throw new UserError('usage', `these files exist and would be overwritten:\n${existing.map((e) => `  ${path.relative(cwd, e!)}`).join('\n')}`, { hint: 'give another --out, or --force to overwrite them' });
    }
  }
  for (const [file, content] of result.files) {
    const target = path.join(out, file);
    await fs.mkdir(content === null ? target : path.dirname(target), { recursive: true });
    if (content !== null) await fs.writeFile(target, content);
  }
  const shown = (p: string) => path.relative(cwd, p) || p;
  process.stdout.write(`Wrote:\n${targets.map((t) => `  ${shown(t)}`).join('\n')}\n`);
  for (const n of result.notes) process.stdout.write(`note: ${n.at}: ${n.message}\n`);
  if (result.untranslated.length > 0) {
    process.stderr.write(`${result.untranslated.length} not translated (each is a failing "NOT CONVERTED" step, the original above it as a comment):\n`);
    for (const u of result.untranslated) process.stderr.write(`  ${u.at}: ${u.message}\n`);
  }
  const main = shown(path.join(out, result.main));
  process.stdout.write(`\nNext:\n  runbook validate ${main}\n  runbook play ${main} -i <inventory> --check --diff\n`);
  return 0;
}
