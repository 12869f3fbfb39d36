// Safety #3: task code is imported from the project, so the project must be one the user chose.
// A runbooks/ + tasks/ planted in a shared ancestor (/tmp) or in a folder of another user is
// refused before any of its code runs; discovery stops at the user's home; a project's task never
// replaces a built-in one.

import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findProjectDir } from '../../src/project/find.js';
import { loadTaskRegistry } from '../../src/task/registry.js';
import { shippedLayer } from '../../src/project/library.js';
import { taskLayer } from '../helpers/layers.js';
import { ensureBuilt, runbook } from '../cli/helpers.js';
import { caught } from '../helpers/caught.js';
import type { UserError } from '../../src/errors.js';

let root: string;

/** A project whose task module leaves a marker file when it is imported. */
function plant(dir: string, marker: string, taskName = 'evil'): void {
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  mkdirSync(join(dir, 'tasks'), { recursive: true });
  writeFileSync(
    join(dir, 'tasks', `${taskName}.ts`),
    `import { writeFileSync } from 'node:fs';
import { defineTask, z } from 'runbook';
writeFileSync(${JSON.stringify(marker)}, 'ran');
export default defineTask({ name: '${taskName}', description: 'x', doc: '', args: z.object({}), check: async () => ({ inSync: true }), apply: async () => {} });
`,
  );
}

test.before(async () => {
  await ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'runbook-safety-project-'));
  process.env.XDG_CACHE_HOME = join(root, 'cache');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a runbooks/ and tasks/ planted in a world-writable ancestor are refused, and their code never runs', async () => {
  const shared = join(root, 'shared-tmp');
  const marker = join(root, 'planted-ran');
  plant(shared, marker);
  chmodSync(shared, 0o1777);
  const work = join(shared, 'alice-work');
  mkdirSync(work);
  assert.match((await caught(findProjectDir(work))).message, /refusing to use .*shared-tmp.* writable by everyone/);
  for (const args of [['list'], ['validate'], ['doc', 'evil']]) {
    const r = await runbook(args, work);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /refusing to use/);
  }
  assert.not.ok(existsSync(marker), 'the planted task module was imported');
});

test("a project in a folder that belongs to another user is refused; -C names it explicitly", async () => {
  const other = join(root, 'other-user');
  const marker = join(root, 'other-ran');
  plant(other, marker);
  chownSync(other, 65534, 65534);
  assert.match((await caught(findProjectDir(join(other, 'runbooks')))).message, /belongs to uid 65534/);
  const tasksFile = join(root, 'mine');
  plant(tasksFile, join(root, 'mine-ran'), 'mine');
  chownSync(join(tasksFile, 'tasks', 'mine.ts'), 65534, 65534);
  assert.match((await caught(findProjectDir(tasksFile))).message, /mine\.ts belongs to uid 65534/);
  const explicit = await runbook(['-C', other, 'list'], root);
  assert.is(explicit.code, 0, explicit.stderr);
  assert.ok(existsSync(marker), 'an explicitly named project loads');
});

test('discovery never goes above the home directory', async () => {
  const above = join(root, 'above');
  plant(above, join(root, 'above-ran'));
  const home = join(above, 'home');
  mkdirSync(join(home, 'ops'), { recursive: true });
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    assert.is(await findProjectDir(join(home, 'ops')), join(home, 'ops'));
    assert.is(await findProjectDir(home), home);
  } finally {
    process.env.HOME = saved;
  }
});

test("a runbook package anyone can write to is refused before its code runs", async () => {
  const ops = join(root, 'ops-with-package');
  mkdirSync(join(ops, 'node_modules'), { recursive: true });
  writeFileSync(join(ops, 'runbook.yaml'), 'packages: [acme-kafka]\n');
  const pkg = join(ops, 'node_modules', 'acme-kafka');
  const marker = join(root, 'package-ran');
  plant(pkg, marker, 'acme');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'acme-kafka', version: '1.0.0', runbook: {} }));
  chmodSync(join(pkg, 'tasks'), 0o777);
  const r = await runbook(['list'], ops);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /refusing to use .*acme-kafka: .*acme-kafka\/tasks is writable by everyone/);
  assert.not.ok(existsSync(marker), 'the package task module was imported');
  chmodSync(join(pkg, 'tasks'), 0o755);
  const fixed = await runbook(['list'], ops);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /^\s+acme\s+acme-kafka\s/m);
});

test("a project's task with a built-in task's name is an error, not a silent replacement", async () => {
  const project = join(root, 'shadow');
  plant(project, join(root, 'shadow-ran'), 'apt');
  const error = await caught(loadTaskRegistry([taskLayer(join(project, 'tasks')), shippedLayer()]));
  assert.match(error.message, /task "apt" in .*shadow\/tasks\/apt\.ts would replace the one of runbook \(shipped\)/);
  assert.match(String((error as UserError).hint), /override: true/);
});

test.run();
