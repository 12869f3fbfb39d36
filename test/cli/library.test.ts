// The search path from a team's own repository, through the built CLI: runbook.yaml, packages in
// node_modules, explicit names, overrides of runbooks, templates and tasks, and the errors a team
// meets (each at file:line:col, exit 1). The packed-and-installed version of this runs against a
// lab host in test/serial/shared-runbooks.test.ts.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root as runbookRoot, runbook, type Ran } from './helpers.js';

let root: string;
let ops: string;

const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A task module writing `text` to `path` on the host (local connection here). */
function stampTask(name: string, extra = ''): string {
  return `import { defineTask, z, sh } from 'runbook';
export default defineTask({
  name: '${name}',
  description: 'stamp from ${name}',
  doc: '',${extra}
  args: z.object({ path: z.string().describe('where'), text: z.string().describe('what') }).strict(),
  async check(ctx) {
    const now = (await ctx.shell.readFile(ctx.args.path))?.toString() ?? null;
    return { inSync: now === ctx.args.text, observed: now };
  },
  async apply(ctx) { await ctx.shell.writeFile(ctx.args.path, ctx.args.text); },
});
`;
}

/** An installed runbook package: node_modules/<name> linked to a folder, as `npm install ../<name>` does. */
function makePackage(name: string, files: Record<string, string>, manifest: object = { runbook: {} }): string {
  const dir = join(root, 'packages', name);
  write(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
  for (const [path, text] of Object.entries(files)) write(join(dir, path), text);
  mkdirSync(join(ops, 'node_modules'), { recursive: true });
  symlinkSync(dir, join(ops, 'node_modules', name));
  return dir;
}

test.before(async () => {
  await ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'runbook-library-'));
  process.env.XDG_CACHE_HOME = join(root, 'cache');
  ops = join(root, 'ops');
  const init = await runbook(['init', ops], root);
  assert.is(init.code, 0, show(init));
  makePackage('acme-kafka', {
    'runbooks/stamp.yaml': 'name: stamp\ndescription: stamps a file\nsteps:\n  - name: Stamp it\n    acme_stamp: { path: "{{out}}/acme", text: "{{greeting}}" }\n',
    'runbooks/templates/greeting.hbs': 'package: {{greeting}}\n',
    'runbooks/greet.yaml': 'name: greet\nsteps:\n  - name: Greet\n    template: { src: greeting.hbs, dest: "{{out}}/greeting" }\n',
    'tasks/acme_stamp.ts': stampTask('acme_stamp'),
  });
  makePackage('beta-kafka', { 'runbooks/stamp.yaml': 'name: stamp\nsteps: []\n' });
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test('init scaffolds a repository and refuses to write over one', async () => {
  for (const path of ['runbook.yaml', 'inventory/hosts.yaml', 'runbooks/site.yaml', 'tasks', '.gitignore', 'README.md', 'package.json']) {
    assert.ok(readFileSync(join(ops, path === 'tasks' ? 'tasks/.gitkeep' : path)) !== undefined, path);
  }
  assert.match(readFileSync(join(ops, 'runbooks/site.yaml'), 'utf8'), /include: install-cluster/);
  assert.match(readFileSync(join(ops, '.gitignore'), 'utf8'), /^\.runbook\/$/m);
  assert.is(JSON.parse(readFileSync(join(ops, 'package.json'), 'utf8')).private, true, 'its own package.json: npm installs packages into it');
  assert.match(readFileSync(join(ops, 'README.md'), 'utf8'), /runbook play site --check/);
  const before = readFileSync(join(ops, 'runbook.yaml'), 'utf8');
  const again = await runbook(['init', ops], root);
  assert.is(again.code, 1, show(again));
  assert.match(again.stderr, /already has runbook\.yaml/, show(again));
  assert.is(readFileSync(join(ops, 'runbook.yaml'), 'utf8'), before);
  // The scaffold is valid as it stands, against its own example inventory.
  const v = await runbook(['validate'], ops);
  assert.is(v.code, 0, show(v));
  assert.match(v.stdout, /ok: .*runbooks\/site\.yaml/);
});

test("a package's runbook and task are listed, included and played; its own templates are found", async () => {
  write(join(ops, 'runbook.yaml'), 'requires: ">=0.2.0"\npackages: [acme-kafka]\n');
  const out = join(root, 'out');
  mkdirSync(out, { recursive: true });
  write(join(ops, 'runbooks/team.yaml'), 'name: team\nsteps:\n  - include: stamp\n  - include: acme-kafka/greet\n');
  const list = await runbook(['list'], ops);
  assert.is(list.code, 0, show(list));
  assert.match(list.stdout, /^\s+stamp\s+acme-kafka\s+stamps a file$/m);
  assert.match(list.stdout, /^\s+acme_stamp\s+acme-kafka\s+stamp from acme_stamp$/m);
  assert.match(list.stdout, /^\s+install-cluster\s+runbook \(shipped\)/m);
  const play = await runbook(['play', 'team', '-e', `out=${out}`, '-e', 'greeting=hi'], ops);
  assert.is(play.code, 0, show(play));
  assert.is(readFileSync(join(out, 'acme'), 'utf8'), 'hi');
  assert.is(readFileSync(join(out, 'greeting'), 'utf8'), 'package: hi\n');
});

test('a project template replaces the one of the same name in a package, and list says so', async () => {
  write(join(ops, 'runbooks/templates/greeting.hbs'), 'team: {{greeting}}\n');
  const out = join(root, 'out2');
  mkdirSync(out, { recursive: true });
  const play = await runbook(['play', 'acme-kafka/greet', '-e', `out=${out}`, '-e', 'greeting=hey'], ops);
  assert.is(play.code, 0, show(play));
  assert.is(readFileSync(join(out, 'greeting'), 'utf8'), 'team: hey\n');
  const list = await runbook(['list'], ops);
  assert.match(list.stdout, /Templates the project replaces:\n\s+greeting\.hbs\s+runbooks\/templates\/greeting\.hbs\s+instead of .*acme-kafka\/runbooks\/templates\/greeting\.hbs/);
  rmSync(join(ops, 'runbooks/templates/greeting.hbs'));
});

test('a project runbook with a shipped name replaces it, in shipped runbooks too; runbook/<name> still names ours', async () => {
  write(join(ops, 'runbooks/service-user.yaml'), 'name: service-user\ndescription: the team one\nsteps: []\n');
  const list = await runbook(['list'], ops);
  assert.match(list.stdout, /^\s+service-user\s+project \(replaces runbook \(shipped\)\)\s+the team one$/m);
  const shown = await runbook(['show', 'runbook/zookeeper', '-i', 'inventory/hosts.yaml'], ops);
  assert.is(shown.code, 0, show(shown));
  assert.not.match(shown.stdout, /Create the service user/i, 'the shipped service-user steps were replaced by the team one');
  // Including itself by its bare name is a cycle, and the hint says how to reach ours.
  write(join(ops, 'runbooks/kafka.yaml'), 'name: kafka\nsteps:\n  - include: kafka\n');
  const cycle = await runbook(['validate', 'kafka'], ops);
  assert.is(cycle.code, 1, show(cycle));
  assert.match(cycle.stderr, /runbooks\/kafka\.yaml:3:14: include cycle/, show(cycle));
  assert.match(cycle.stderr, /runbook\/kafka/, show(cycle));
  write(join(ops, 'runbooks/kafka.yaml'), 'name: kafka\nsteps:\n  - include: runbook/kafka\n');
  const wrapped = await runbook(['validate', 'kafka'], ops);
  assert.is(wrapped.code, 0, show(wrapped));
  rmSync(join(ops, 'runbooks/service-user.yaml'));
  rmSync(join(ops, 'runbooks/kafka.yaml'));
});

test('a runbook name in two packages is an error at the include, naming both and the explicit forms', async () => {
  write(join(ops, 'runbook.yaml'), 'packages:\n  - acme-kafka\n  - beta-kafka\n');
  const r = await runbook(['validate', 'team'], ops);
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /runbooks\/team\.yaml:3:14: runbook "stamp" is in 2 packages: acme-kafka \(.*\), beta-kafka \(.*\)/, show(r));
  assert.match(r.stderr, /say which: acme-kafka\/stamp or beta-kafka\/stamp/, show(r));
  write(join(ops, 'runbooks/team.yaml'), 'name: team\nsteps:\n  - include: acme-kafka/stamp\n');
  const explicit = await runbook(['validate', 'team'], ops);
  assert.is(explicit.code, 0, show(explicit));
});

test('a missing package, a non-runbook package and an unmet version range: runbook.yaml:line:col, exit 1', async () => {
  write(join(ops, 'runbook.yaml'), 'packages:\n  - acme-kafka\n  - acme-zookeeper\n');
  const missing = await runbook(['list'], ops);
  assert.is(missing.code, 1, show(missing));
  assert.match(missing.stderr, /runbook\.yaml:3:5: runbook package "acme-zookeeper" is not installed/, show(missing));
  assert.match(missing.stderr, /npm install acme-zookeeper/, show(missing));

  makePackage('left-pad-ish', {}, {});
  write(join(ops, 'runbook.yaml'), 'packages: [left-pad-ish]\n');
  const notOurs = await runbook(['list'], ops);
  assert.is(notOurs.code, 1, show(notOurs));
  assert.match(notOurs.stderr, /runbook\.yaml:1:12: "left-pad-ish" is not a runbook package/, show(notOurs));

  write(join(ops, 'runbook.yaml'), 'requires: ">=99"\n');
  const version = await runbook(['list'], ops);
  assert.is(version.code, 1, show(version));
  assert.match(version.stderr, /runbook\.yaml:1:11: this project .* needs runbook >=99, and this is runbook \d+\.\d+\.\d+/, show(version));

  write(join(ops, 'runbook.yaml'), 'packges: [acme-kafka]\n');
  const typo = await runbook(['list'], ops);
  assert.is(typo.code, 1, show(typo));
  assert.match(typo.stderr, /runbook\.yaml:1:10: unknown key of runbook\.yaml "packges"/, show(typo));
  assert.match(typo.stderr, /packages/, show(typo));
  write(join(ops, 'runbook.yaml'), 'packages: [acme-kafka]\n');
});

test('a task that would replace a built-in one needs override: true; with it, every runbook runs it', async () => {
  write(join(ops, 'tasks/copy.ts'), stampTask('copy'));
  const refused = await runbook(['list'], ops);
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /tasks\/copy\.ts:3:3: task "copy" in .* would replace the one of runbook \(shipped\)/, show(refused));
  assert.match(refused.stderr, /override: true/, show(refused));
  write(join(ops, 'tasks/copy.ts'), stampTask('copy', '\n  override: true,'));
  const list = await runbook(['list'], ops);
  assert.is(list.code, 0, show(list));
  assert.match(list.stdout, /^\s+copy\s+project \(replaces runbook \(shipped\)\)\s+stamp from copy$/m);
  rmSync(join(ops, 'tasks/copy.ts'));
});

test('a task name two packages define must be written explicitly', async () => {
  write(join(root, 'packages/beta-kafka/tasks/acme_stamp.ts'), stampTask('acme_stamp'));
  write(join(ops, 'runbook.yaml'), 'packages: [acme-kafka, beta-kafka]\n');
  write(join(ops, 'runbooks/bare.yaml'), 'name: bare\nsteps:\n  - name: Stamp\n    acme_stamp: { path: /nonexistent, text: x }\n');
  const r = await runbook(['validate', 'bare'], ops);
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /runbooks\/bare\.yaml:4:5: task "acme_stamp" is defined by 2 packages: acme-kafka, beta-kafka/, show(r));
  assert.match(r.stderr, /say which: acme-kafka\/acme_stamp or beta-kafka\/acme_stamp/, show(r));
  write(join(ops, 'runbooks/bare.yaml'), 'name: bare\nsteps:\n  - name: Stamp\n    beta-kafka/acme_stamp: { path: /nonexistent, text: x }\n');
  const explicit = await runbook(['validate', 'bare'], ops);
  assert.is(explicit.code, 0, show(explicit));
});

test('the project is found from a subfolder by its runbook.yaml, even without a runbooks/ folder', async () => {
  const bare = join(root, 'bare-project');
  write(join(bare, 'runbook.yaml'), '');
  mkdirSync(join(bare, 'deep', 'er'), { recursive: true });
  const r = await runbook(['show', 'runbook/service-user'], join(bare, 'deep', 'er'));
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`PLAY service-user \\(${runbookRoot}runbooks/service-user\\.yaml\\)`));
});

test.run();
