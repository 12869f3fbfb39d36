// authorized_key: public keys in a user's authorized_keys (ssh-copy-id's job in the manual).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import authorizedKey, { editKeys, keyId, lineChanges } from '../../tasks/authorized_key.js';
import { cleanup, converge, hostileValues, lifecycle, tempDir, undo } from '../helpers/task-harness.js';

const me = userInfo().username;
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7';

test('keyId finds type and blob behind options', () => {
  assert.is(keyId(`${ED} me@host`), ED);
  assert.is(keyId(`from="10.0.0.1",no-pty ${ED} me@host`), ED);
  assert.is(keyId(`kafka02,10.0.0.12 ${ED}`), ED);
  assert.is(keyId('# comment'), null);
});

test('editKeys replaces a key with other options, appends new ones, removes on absent', () => {
  const lines = ['# mine', `no-pty ${ED} old`, 'ssh-rsa AAAAother x'];
  assert.equal(editKeys(lines, [`${ED} new`, `${RSA} b`], 'present'), ['# mine', `${ED} new`, 'ssh-rsa AAAAother x', `${RSA} b`]);
  assert.equal(editKeys(lines, [`${ED} whatever`], 'absent'), ['# mine', 'ssh-rsa AAAAother x']);
  assert.equal(lineChanges(['a', 'b', 'a'], ['a', 'c']), { added: ['c'], removed: ['b', 'a'] });
});

test('authorized_key: --check predicts, apply converges, second run in sync, undo restores the file byte for byte', async () => {
  const dir = tempDir();
  const path = join(dir, 'authorized_keys');
  writeFileSync(path, `# keep me\n${RSA} existing\n`);
  const run = await lifecycle(authorizedKey, { user: me, path, key: `${ED} new@host` }, { root: dir });
  assert.is(run.check.summary, `${path}: add 1 line`);
  // absent removes it again, and only it
  await converge(authorizedKey, { user: me, path, key: `${ED} new@host` });
  const removed = await converge(authorizedKey, { user: me, path, key: ED, state: 'absent' });
  assert.is(readFileSync(path, 'utf8'), `# keep me\n${RSA} existing\n`);
  await undo(authorizedKey, removed.undo);
  assert.is(readFileSync(path, 'utf8'), `# keep me\n${RSA} existing\n${ED} new@host\n`);
});

test('authorized_key: a missing directory and file are created 0700/0600 and removed by undo', async () => {
  const dir = tempDir();
  const path = join(dir, 'ssh', 'authorized_keys');
  const run = await lifecycle(authorizedKey, { user: me, path, key: ED }, { root: dir });
  assert.is(run.applied['ssh'].mode, '700');
  assert.is(run.applied['ssh/authorized_keys'].mode, '600');
});

test('authorized_key: hostile values in a key comment never execute; a user name or a line break is refused', async () => {
  const dir = tempDir();
  const canary = join(dir, 'pwned');
  for (const value of hostileValues(canary)) {
    if (!value.includes('\n')) {
      const path = join(dir, 'ak');
      await converge(authorizedKey, { user: me, path, key: `${ED} ${value}` });
      assert.ok(readFileSync(path, 'utf8').includes(`${ED} ${value}\n`));
    } else {
      assert.not.ok(authorizedKey.args.safeParse({ user: me, key: `${ED} ${value}` }).success);
    }
    assert.not.ok(authorizedKey.args.safeParse({ user: value, key: ED }).success);
  }
  assert.not.ok(existsSync(canary));
});

test.after(cleanup);
test.run();
