import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import authorizedKey, { editKeys, keyId, lineChanges } from '../../tasks/authorized_key.js';
import sshKeygen from '../../tasks/ssh_keygen.js';
import { editKnownHosts, knownHostEntries, namesOf } from '../../tasks/ssh_exchange.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir, undo } from '../helpers/task-harness.js';
import { userInfo } from 'node:os';

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

test('members sharing a machine want the same known_hosts, whichever writes it; localhost on a line of its own', () => {
  const key = ['ssh-ed25519 AAAAsame'];
  const member = (name: string) => ({ names: namesOf(name, { ansible_host: '10.0.3.10' }), hostKeys: key });
  const fromOne = editKnownHosts([], knownHostEntries([member('zookeeper1'), member('zookeeper2')], key));
  const fromTwo = editKnownHosts([], knownHostEntries([member('zookeeper2'), member('zookeeper1')], key));
  assert.equal([...fromOne].sort(), [...fromTwo].sort());
  assert.ok(fromOne.includes('localhost ssh-ed25519 AAAAsame'), fromOne.join('\n'));
  // A line written before localhost had its own (kafka01,10.0.0.11,localhost) is replaced.
  const old = ['kafka01,10.0.0.11,localhost ssh-ed25519 AAAAsame'];
  const migrated = editKnownHosts(old, knownHostEntries([{ names: ['kafka01', '10.0.0.11'], hostKeys: key }], key));
  assert.equal(migrated, ['kafka01,10.0.0.11 ssh-ed25519 AAAAsame', 'localhost ssh-ed25519 AAAAsame']);
});

test('editKnownHosts adds one line per host key and drops a stale key for the same name', () => {
  const lines = ['kafka02 ssh-ed25519 AAAAstale', 'other ssh-ed25519 AAAAkeep', 'kafka02 ssh-rsa AAAArsa-kept-different-type'];
  const out = editKnownHosts(lines, [{ names: ['kafka02', '10.0.0.12'], keys: ['ssh-ed25519 AAAAnew'] }]);
  assert.equal(out, ['other ssh-ed25519 AAAAkeep', 'kafka02 ssh-rsa AAAArsa-kept-different-type', 'kafka02,10.0.0.12 ssh-ed25519 AAAAnew']);
  assert.equal(editKnownHosts(out, [{ names: ['kafka02', '10.0.0.12'], keys: ['ssh-ed25519 AAAAnew'] }]), out, 'idempotent');
  assert.equal(namesOf('kafka02', { ansible_host: '10.0.0.12', private_ip: '10.0.0.12', address: 5 }), ['kafka02', '10.0.0.12']);
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

test('hostile values in ssh task args never execute', async () => {
  const dir = tempDir();
  const canary = join(dir, 'pwned');
  for (const value of hostileValues(canary)) {
    if (!value.includes('\n')) {
      const path = join(dir, 'ak');
      await converge(authorizedKey, { user: me, path, key: `${ED} ${value}` });
      assert.ok(readFileSync(path, 'utf8').includes(`${ED} ${value}\n`));
      await converge(sshKeygen, { path: join(dir, `k${hostileValues(canary).indexOf(value)}`), type: 'ed25519', comment: value, passphrase: value });
    } else {
      assert.not.ok(authorizedKey.args.safeParse({ user: me, key: `${ED} ${value}` }).success);
    }
    assert.not.ok(authorizedKey.args.safeParse({ user: value, key: ED }).success);
  }
  assert.not.ok(existsSync(canary));
});

test.after(cleanup);
test.run();
