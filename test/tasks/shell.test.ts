// shell: a sh script as written (pipes, variables), with command's guards, env and register
// data (their tests: command.test.ts, which covers both).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import shellTask from '../../tasks/shell.js';
import { check, cleanup, context, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

test('shell: runs a script with pipes and variables', async () => {
  const ctx = context(shellTask, { cmd: 'printf "%s\\n" a b c | wc -l; echo "$X"', env: { X: 'x y' } });
  const r = await shellTask.apply(ctx, undefined);
  assert.is(r && r.data?.stdout, '3\nx y', 'trailing line ends dropped, as Ansible does');
});

test('shell: a guarded script is in sync once what it creates exists; --check runs nothing', async () => {
  const dir = tempDir();
  const args = { cmd: `touch ${dir}/made`, creates: `${dir}/made` };
  assert.not.ok((await check(shellTask, args, { checkMode: true })).inSync);
  assert.not.ok(existsSync(`${dir}/made`));
  await shellTask.apply(context(shellTask, args), undefined);
  assert.ok((await check(shellTask, args)).inSync);
});

test.run();
