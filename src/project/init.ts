// `runbook init`: a new ops repository, or with --package a runbook package to share, laid out
// as the search path expects (library.ts). Nothing that exists is overwritten: every file is
// checked first, and if any is there nothing is written at all.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import semver from 'semver';
import { UserError } from '../errors.js';
import { PROJECT_FILE } from './find.js';
import { runbookVersion, RUNBOOK_ROOT } from './version.js';

/** The runbook versions a new project or package declares: this one up to the next major. */
function requiresRange(): string {
  const v = semver.parse(runbookVersion())!;
  return `>=${v.major}.${v.minor}.0 <${v.major + 1}`;
}

export interface Scaffold {
  dir: string;
  /** Relative path → content. */
  files: Record<string, string>;
  /** What to run next, one command per line, for the terminal. */
  next: string[];
}

export async function projectScaffold(dir: string): Promise<Scaffold> {
  const example = await readFile(join(RUNBOOK_ROOT, 'inventory', 'gcp.example.yaml'), 'utf8');
  const next = [
    '$EDITOR inventory/hosts.yaml            # your hosts, their addresses and ids',
    'runbook play site --check --diff        # what would change, host by host',
    'runbook play site                       # install, journaled: resume and rollback work',
  ];
  return {
    dir,
    next,
    files: {
      [PROJECT_FILE]: `# This folder is a runbook project: \`runbook\` run anywhere below it uses it (README.md).
requires: "${requiresRange()}"      # the runbook versions this repository works with
inventory: inventory/hosts.yaml     # used when no -i is given
# runbooks: [more/runbooks]         # more runbook folders, searched after runbooks/
# tasks: [more/tasks]               # more task folders, loaded after tasks/
# packages: [acme-kafka]            # runbook packages from node_modules (\`npm install acme-kafka\` first)
`,
      'inventory/hosts.yaml': `# Copied from runbook's inventory/gcp.example.yaml: replace the hosts with yours.\n#\n${example}`,
      'runbooks/site.yaml': `name: site
description: This repository's cluster, installed with runbook's shipped install-cluster.
steps:
  # runbook/install-cluster is ours; a runbook of the same name in runbooks/ would replace it,
  # and a template in runbooks/templates/ replaces ours of the same name (runbook list shows which).
  - include: install-cluster
`,
      // Its own, so that `npm install <runbook package>` installs here: npm installs into the
      // nearest folder above with a package.json, which may be a home directory.
      'package.json': JSON.stringify({ private: true, description: 'Runbooks, inventory and tasks run with runbook; runbook packages are npm-installed here' }, null, 2) + '\n',
      'runbooks/templates/.gitkeep': '',
      'tasks/.gitkeep': '',
      '.gitignore': '# Run journals and locks of this checkout (runbook runs, resume, rollback)\n.runbook/\nnode_modules/\n',
      'README.md': `# ${basename(dir)}

The runbooks, inventory and tasks of our clusters, run with [runbook](https://www.npmjs.com/package/runbook).

\`\`\`
${next.join('\n')}
\`\`\`

- \`runbooks/\`: our runbooks; \`include:\` any shipped one by name (\`runbook list\` shows them all
  and where each comes from). A file in \`runbooks/templates/\` replaces the shipped template of
  the same name.
- \`tasks/\`: our own tasks, TypeScript modules (\`runbook doc template\` shows what a task
  documents; \`runbook init --package\` makes a package of runbooks and tasks to share).
- \`inventory/\`: hosts, groups and their vars (Ansible's YAML or INI format).
- \`runbook.yaml\`: the runbook versions we need, the default inventory, the packages we use
  (\`npm install <package>\` here: \`package.json\` records them).
`,
    },
  };
}

export async function packageScaffold(dir: string): Promise<Scaffold> {
  const name = basename(dir);
  if (!/^[a-z0-9][a-z0-9._~-]*$/.test(name)) {
    throw new UserError('usage', `"${name}" is not a valid npm package name`, { hint: 'name the folder in lower case, e.g. acme-kafka' });
  }
  const manifest = {
    name,
    version: '0.1.0',
    description: 'Runbooks and tasks for runbook',
    type: 'module',
    keywords: ['runbook'],
    files: ['runbooks', 'tasks', 'README.md'],
    runbook: { requires: requiresRange() },
  };
  const next = [`cd ${relative(process.cwd(), dir) || '.'} && runbook validate   # check the runbooks`, 'npm pack                               # or npm publish', `cd <ops repository> && npm install <path or name> && add "${name}" to packages: in runbook.yaml`];
  return {
    dir,
    next,
    files: {
      'package.json': JSON.stringify(manifest, null, 2) + '\n',
      'runbooks/motd.yaml': `name: motd
description: The message of the day on every host, from a template (an example to start from).
vars:
  motd_owner: { type: string, description: who to ask about this host }
steps:
  - name: Write /etc/motd
    become: true
    motd:
      text: "{{inventory_hostname}} belongs to {{motd_owner}}\\n"
`,
      'tasks/motd.ts': `import { defineTask, z, applyContent, contentProbe, parseContentProbe, planContent, undoContent, driftOf, type ContentPlan, type ContentUndo } from 'runbook';

const args = z.object({ text: z.string().describe('the whole message, usually ending with a newline') }).strict();

// A task built from runbook's SDK: a declared probe, a plan from its output (diff and undo
// record), atomic apply, undo.
export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'motd',
  description: 'Set the message of the day (/etc/motd)',
  doc: \`
Writes /etc/motd atomically, with a diff in --check, and restores the old one byte for byte on
rollback.

    - name: Say whose host it is
      become: true
      motd: { text: "ask the data team\\\\n" }
\`,
  args,
  probe: () => contentProbe('/etc/motd'),
  async check(ctx, probed) {
    return planContent(parseContentProbe(probed), { content: Buffer.from(ctx.args.text), attrs: { mode: '0644' } });
  },
  apply: (ctx, plan) => applyContent(ctx.shell, plan!),
  undo: (ctx, record) => undoContent(ctx.shell, record),
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
`,
      '.gitignore': '.runbook/\nnode_modules/\n*.tgz\n',
      'README.md': `# ${name}

A [runbook](https://www.npmjs.com/package/runbook) package: the runbooks in \`runbooks/\` (their
templates in \`runbooks/templates/\`) and the tasks in \`tasks/\`, for ops repositories to use.

\`\`\`
${next.join('\n')}
\`\`\`

In an ops repository that lists \`${name}\` under \`packages:\` in runbook.yaml, \`include: motd\`
finds this package's runbook (\`${name}/motd\` names it explicitly) and \`motd:\` its task. A task
of the same name as a shipped one must say \`override: true\`. \`"runbook": { "requires": ... }\`
in package.json is the range of runbook versions this package works with.
`,
    },
  };
}

/** Writes the scaffold; refuses, writing nothing, if any of its files exists. */
export async function writeScaffold(scaffold: Scaffold): Promise<string[]> {
  const dir = resolve(scaffold.dir);
  const paths = Object.keys(scaffold.files);
  const existing = (await Promise.all(paths.map(async (p) => ((await stat(join(dir, p)).catch(() => undefined)) ? p : undefined)))).filter((p) => p !== undefined);
  if (existing.length) {
    throw new UserError('usage', `${dir} already has ${existing.join(', ')}: runbook init writes nothing over existing files`, {
      hint: 'run it in an empty folder, or move those files away first',
    });
  }
  for (const path of paths) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), scaffold.files[path], { flag: 'wx' });
  }
  return paths;
}
