// user: a local account on this machine (useradd, usermod, userdel as root); undo deletes an
// account the step made (its home only if the step made it), puts back changed fields, and
// re-creates a removed account with its uid, home, shell and groups.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import user, { parseAccount } from '../../tasks/user.js';
import { check, cleanup, converge, hostileValues, tempDir, undo } from '../helpers/task-harness.js';

// One name per process: suites run in parallel, and others create accounts too.
const NAME = `rbtest_usr${process.pid}`;
const passwd = (name: string): string | null => {
  try {
    return execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

test.after(() => {
  if (passwd(NAME) !== null) execFileSync('userdel', ['--remove', NAME], { stdio: 'ignore' });
  cleanup();
});

test('parseAccount reads the probe: the passwd line, primary and supplementary groups, whether home exists', () => {
  const seen = parseAccount('@@passwd kafka:x:998:998::/home/kafka:/bin/bash\n@@group kafka\n@@groups kafka adm\n@@home 1\n');
  assert.equal(seen, { found: { uid: 998, gid: 998, group: 'kafka', home: '/home/kafka', shell: '/bin/bash', groups: ['kafka', 'adm'] }, homeExists: true });
  assert.equal(parseAccount('@@home 0\n'), { found: null, homeExists: false });
});

test('created once with its home (--check creates nothing), in sync after; undo deletes the account and the home it made', async () => {
  const home = `${tempDir()}/home`;
  const args = { name: NAME, system: true, shell: '/bin/sh', home };
  const dry = await check(user, args, { checkMode: true });
  assert.is(dry.summary, `create system user ${NAME}`);
  assert.is(passwd(NAME), null);
  const made = await converge(user, args);
  assert.match(passwd(NAME)!, new RegExp(`^${NAME}:x:\\d+:\\d+::${home}:/bin/sh$`));
  assert.ok(existsSync(home));
  assert.ok((await check(user, args)).inSync);
  await undo(user, made.undo);
  assert.is(passwd(NAME), null);
  assert.not.ok(existsSync(home), 'the home the step made goes with it');
});

test('a home that was there before stays when undo deletes the account', async () => {
  const home = `${tempDir()}/home`;
  mkdirSync(home);
  const made = await converge(user, { name: NAME, home });
  await undo(user, made.undo);
  assert.is(passwd(NAME), null);
  assert.ok(existsSync(home));
});

test('a changed shell is put back by undo; a removed account comes back as it was', async () => {
  execFileSync('useradd', ['--system', '--shell', '/bin/sh', '--no-create-home', NAME]);
  const before = passwd(NAME);
  const changed = await converge(user, { name: NAME, shell: '/usr/sbin/nologin' });
  assert.is(changed.check.summary, `user ${NAME}: shell /bin/sh → /usr/sbin/nologin`);
  await undo(user, changed.undo);
  assert.is(passwd(NAME), before);
  const removed = await converge(user, { name: NAME, state: 'absent' });
  assert.is(passwd(NAME), null);
  await undo(user, removed.undo);
  assert.is(passwd(NAME), before, 'the same uid, gid (its own group re-created), home and shell');
  execFileSync('userdel', [NAME]);
});

test('hostile names and paths never reach useradd: the schema refuses them', () => {
  for (const v of hostileValues('/tmp/pwned')) {
    assert.not.ok(user.args.safeParse({ name: v }).success, v);
    if (/[\n:]/.test(v) || !v.startsWith('/')) assert.not.ok(user.args.safeParse({ name: 'kafka', home: v }).success, v);
  }
});

test.run();
