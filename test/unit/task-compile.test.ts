// Task modules are compiled once and cached by the content of every file that went into them.
import { test } from 'uvu';
import { taskLayer } from '../helpers/layers.js';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTaskRegistry } from '../../src/task/registry.js';

let root: string;
let tasks: string;

const taskSource = (name: string) => `import { defineTask, z } from 'runbook';
import { greeting } from './lib/greeting.js';
export default defineTask({
  name: '${name}',
  description: greeting(),
  doc: '',
  args: z.object({}),
  check: async () => ({ inSync: true }),
  apply: async () => {},
});
`;

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'runbook-compile-'));
  process.env.XDG_CACHE_HOME = join(root, 'cache');
  // A team's task directory: no package.json, no node_modules; it still imports 'runbook'.
  tasks = join(root, 'team', 'tasks');
  await mkdir(join(tasks, 'lib'), { recursive: true });
  await writeFile(join(tasks, 'lib', 'greeting.ts'), `export const greeting = (): string => 'first';\n`);
  await writeFile(join(tasks, 'hello.ts'), taskSource('hello'));
});

test.after(() => rm(root, { recursive: true, force: true }));

test('a task directory without node_modules loads, importing runbook and its own lib', async () => {
  const registry = await loadTaskRegistry([taskLayer(tasks)]);
  assert.equal(registry.names(), ['hello']);
  assert.is(registry.get('hello')!.description, 'first');
});

test('the second load reuses the cached build', async () => {
  const cacheDir = join(root, 'cache', 'runbook', 'tasks');
  const [build] = await readdir(cacheDir);
  const before = await readdir(join(cacheDir, build));
  await loadTaskRegistry([taskLayer(tasks)]);
  assert.equal(await readdir(join(cacheDir, build)), before);
});

test('an edit to an imported helper is picked up (the cache key covers every input)', async () => {
  await writeFile(join(tasks, 'lib', 'greeting.ts'), `export const greeting = (): string => 'second';\n`);
  const registry = await loadTaskRegistry([taskLayer(tasks)]);
  assert.is(registry.get('hello')!.description, 'second');
});

test('a new task file is picked up', async () => {
  await writeFile(join(tasks, 'bye.ts'), taskSource('bye'));
  const registry = await loadTaskRegistry([taskLayer(tasks)]);
  assert.equal(registry.names(), ['bye', 'hello']);
});

test('a task folder reached through a symlink (a project under a linked home) loads, first time and cached', async () => {
  const linked = join(root, 'linked-team');
  await symlink(join(root, 'team'), linked);
  for (let i = 0; i < 2; i++) {
    const registry = await loadTaskRegistry([taskLayer(join(linked, 'tasks'))]);
    assert.equal(registry.names(), ['bye', 'hello']);
  }
});

test('a syntax error in a task names the file', async () => {
  await writeFile(join(tasks, 'broken.ts'), 'export default {{{\n');
  const err = await loadTaskRegistry([taskLayer(tasks)]).catch((e) => e);
  assert.match(String(err.message), /broken\.ts/);
  await rm(join(tasks, 'broken.ts'));
});

test.run();
