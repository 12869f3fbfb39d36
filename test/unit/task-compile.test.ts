// Task modules are compiled once and cached by the content of every file that went into them.
import { test } from 'uvu';
import { taskLayer } from '../helpers/layers.js';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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

test('a process imports only the task modules it loads, once the first run of a build recorded every name', async () => {
  const lazy = join(root, 'lazy');
  await mkdir(lazy);
  const log = join(root, 'imported.log');
  // Each module notes its import; a process of its own, since a module runs once per process.
  for (const name of ['alpha', 'beta', 'gamma']) {
    await writeFile(join(lazy, `${name}.ts`), `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(log)}, '${name}\\n');\n${taskSource(name).replace(/^import \{ greeting \}.*\n/m, '').replace('greeting()', "'x'")}`);
  }
  const run = (names: string[]) => {
    writeFileSync(log, '');
    const script = `
      const { loadTaskRegistry } = await import(${JSON.stringify(new URL('../../src/task/registry.ts', import.meta.url).href)});
      const registry = await loadTaskRegistry([{ kind: 'project', root: ${JSON.stringify(lazy)}, runbookDirs: [], taskDirs: [${JSON.stringify(lazy)}] }]);
      await registry.load(${JSON.stringify(names)});
      for (const name of ${JSON.stringify(names)}) if (registry.has(name) && registry.get(name).name !== name) throw new Error(name);
      if (registry.names().join() !== 'alpha,beta,gamma') throw new Error(registry.names().join());`;
    const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], { env: process.env, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
  };
  assert.equal(run(['beta']), ['alpha', 'beta', 'gamma'], 'the first run of a build imports every module');
  assert.equal(run(['beta']), ['beta']);
  assert.equal(run(['gamma', 'no-such-task']), ['gamma']);
  await writeFile(join(lazy, 'alpha.ts'), (await readFile(join(lazy, 'alpha.ts'), 'utf8')).replace("'x'", "'y'"));
  assert.equal(run([]), ['alpha', 'beta', 'gamma'], 'an edit makes a new build, whose first run imports every module again');
});

test('a syntax error in a task names the file', async () => {
  await writeFile(join(tasks, 'broken.ts'), 'export default {{{\n');
  const err = await loadTaskRegistry([taskLayer(tasks)]).catch((e) => e);
  assert.match(String(err.message), /broken\.ts/);
  await rm(join(tasks, 'broken.ts'));
});

test.run();
