// ssh_keygen: a key pair made once (ssh-keygen -t rsa -P '' in the manual), never overwritten.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sshKeygen from '../../tasks/ssh_keygen.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir, undo } from '../helpers/task-harness.js';

test('ssh_keygen: makes a key once, never overwrites it, undo removes only a key it made', async () => {
  const dir = tempDir();
  const path = join(dir, 'keys', 'id_ed25519');
  const run = await lifecycle(sshKeygen, { path, type: 'ed25519', comment: 'kafka@test' }, { root: dir });
  assert.is(run.applied['keys'].mode, '700');
  assert.is(run.applied['keys/id_ed25519'].mode, '600');
  const made = await converge(sshKeygen, { path, type: 'ed25519', passphrase: 'pass phrase $(x)' });
  const before = readFileSync(path);
  const again = await check(sshKeygen, { path, type: 'rsa' });
  assert.ok(again.inSync, 'an existing key (even of another type) is left alone');
  assert.equal(readFileSync(path), before);
  // the passphrase really is the one given, byte for byte
  execFileSync('ssh-keygen', ['-y', '-P', 'pass phrase $(x)', '-f', path]);
  await undo(sshKeygen, made.undo);
  assert.not.ok(existsSync(path));
});

test('ssh_keygen: hostile values as comment and passphrase never execute', async () => {
  const dir = tempDir();
  const canary = join(dir, 'pwned');
  for (const [i, value] of hostileValues(canary).entries()) {
    if (value.includes('\n')) continue;
    await converge(sshKeygen, { path: join(dir, `k${i}`), type: 'ed25519', comment: value, passphrase: value });
  }
  assert.not.ok(existsSync(canary));
});

test.after(cleanup);
test.run();
