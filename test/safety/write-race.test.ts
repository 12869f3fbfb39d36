// Safety #2, the race: a user who owns the directory a root-run write goes into can rename and
// replace any name in it at any moment. Made deterministic here: a `chown` shim placed first in
// PATH does what such a user would do at the worst moment (between the temp file's creation and
// its chown): as that user, it replaces every temp name in the directory with a link to a root
// file. The write must still land where it should, and the root file must stay untouched.

import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import env from '../../tasks/env.js';
import { createAccount, type Account } from '../helpers/account.js';
import { cleanup, converge, tempDir } from '../helpers/task-harness.js';

const USER = 'rbsafe_race';
let root = '';
let home = '';
let uid = -1;

let account: Account;

test.before(() => {
  root = tempDir('runbook-safety-race-');
  chmodSync(root, 0o755);
  account = createAccount(USER, `${root}/home`);
  ({ home, uid } = account);
});

test.after(() => {
  account.remove();
  cleanup();
});

test("a temp name swapped for a link mid-write never makes root chown or write the link's target", async () => {
  const victim = `${root}/victim`;
  writeFileSync(victim, 'root:secret\n', { mode: 0o600 });
  const bin = `${root}/bin`;
  mkdirSync(bin);
  const attack = `${root}/attacked`;
  writeFileSync(
    `${bin}/chown`,
    `#!/bin/sh
if [ ! -e '${attack}' ]; then
  : > '${attack}'
  for f in '${home}'/.runbook-tmp*; do
    setpriv --reuid=${uid} --regid=${uid} --clear-groups sh -c 'mv -- "$1" "$1.moved" && ln -s -- "$2" "$1"' sh "$f" '${victim}' && echo swapped >> '${attack}'
  done
fi
exec /bin/chown "$@"
`,
    { mode: 0o755 },
  );
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  try {
    await converge(env, { user: USER, name: 'KAFKA_HOME', value: '/opt/kafka' }).catch(() => undefined);
  } finally {
    process.env.PATH = savedPath;
  }
  assert.match(readFileSync(attack, 'utf8'), /swapped/, 'the attack ran');
  assert.is(readFileSync(victim, 'utf8'), 'root:secret\n');
  assert.is(statSync(victim).uid, 0, 'the root file was chowned to the user');
  assert.is(statSync(victim).mode & 0o777, 0o600);
  assert.is(readFileSync(`${home}/.bashrc`, 'utf8').split('\n').filter((l) => l.startsWith('export KAFKA_HOME=')).length, 1);
  assert.is(statSync(`${home}/.bashrc`).uid, uid);
  assert.ok(readdirSync(home).every((n) => !n.startsWith('.runbook-tmp') || n.endsWith('.moved')), `${readdirSync(home)}`);
});

test.run();
