// Safety #1 and #5: backups live in a store only root can read or change, are verified before
// rollback unpacks them, and a deletion through any spelling of a path backs up what it deletes.
// The suite runs in its own mount namespace with a tmpfs over /var/lib/runbook.

import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import file from '../../tasks/file.js';
import { caught } from '../helpers/caught.js';
import { inPrivateMounts, privateTmpfs, unmount } from '../helpers/private-mounts.js';
import { cleanup, converge, snapshot, tempDir, undo } from '../helpers/task-harness.js';

inPrivateMounts(fileURLToPath(import.meta.url));
const STORE = '/var/lib/runbook';

test.before.each(() => privateTmpfs(STORE));
test.after.each(() => unmount(STORE));
test.after(cleanup);

/** A tree to remove: a big file (backed up on the host, not inline) and a secret. */
function tree(d: string): string {
  mkdirSync(`${d}/data/sub`, { recursive: true });
  writeFileSync(`${d}/data/big.bin`, Buffer.alloc(200 * 1024, 7));
  writeFileSync(`${d}/data/sub/secret`, 'password=hunter2\n', { mode: 0o600 });
  return `${d}/data`;
}

test('a removed tree is kept in a 0700 store as a 0600 tar, and rollback restores it exactly', async () => {
  const d = tempDir();
  const data = tree(d);
  const before = snapshot(d);
  const run = await converge(file, { path: data, state: 'absent' });
  assert.not.ok(existsSync(data));
  const store = `${STORE}/backups`;
  assert.is(statSync(store).mode & 0o777, 0o700);
  const tars = readdirSync(store);
  assert.is(tars.length, 1);
  assert.is(statSync(`${store}/${tars[0]}`).mode & 0o777, 0o600);
  assert.match(JSON.stringify(run.undo), /"backupSha256":"[0-9a-f]{64}"/);
  await undo(file, run.undo);
  assert.equal(snapshot(d), before);
});

test('a store another user made first is refused, and nothing is removed', async () => {
  unmount(STORE);
  privateTmpfs(STORE, { uid: 65534, mode: 0o755 });
  const d = tempDir();
  const data = tree(d);
  const e = await caught(converge(file, { path: data, state: 'absent' }));
  assert.match(e.message, /unsafe backup store: \/var\/lib\/runbook is a link or belongs to another user/);
  assert.ok(existsSync(`${data}/sub/secret`));
});

test('a group-writable store is refused', async () => {
  chmodSync(STORE, 0o775);
  const d = tempDir();
  const e = await caught(converge(file, { path: tree(d), state: 'absent' }));
  assert.match(e.message, /others can write to \/var\/lib\/runbook/);
});

test('rollback refuses a backup that changed since it was made, and unpacks nothing', async () => {
  const d = tempDir();
  const data = tree(d);
  const run = await converge(file, { path: data, state: 'absent' });
  const store = `${STORE}/backups`;
  const tar = `${store}/${readdirSync(store)[0]}`;
  writeFileSync(tar, Buffer.concat([readFileSync(tar), Buffer.from('x')]));
  const e = await caught(undo(file, run.undo));
  assert.match(e.message, /changed since it was made/);
  assert.not.ok(existsSync(data), 'something was unpacked from a tampered backup');
});

test('a big file removed is backed up under its hash and restored only when the hash matches', async () => {
  const d = tempDir();
  writeFileSync(`${d}/big`, Buffer.alloc(100 * 1024, 1));
  const run = await converge(file, { path: `${d}/big`, state: 'absent' });
  const backup = `${STORE}/backups/${(run.undo as { backup: string }).backup}`;
  assert.is(statSync(backup).mode & 0o777, 0o600);
  writeFileSync(backup, Buffer.alloc(100 * 1024, 2));
  assert.match((await caught(undo(file, run.undo))).message, /changed since it was made/);
  assert.not.ok(existsSync(`${d}/big`));
});

test('absent through a link spelled with a trailing slash removes the link, never what it points to', async () => {
  const d = tempDir();
  mkdirSync(`${d}/target`);
  writeFileSync(`${d}/target/keep`, 'precious\n');
  symlinkSync(`${d}/target`, `${d}/link`);
  const before = snapshot(d);
  for (const spelling of [`${d}/link/`, `${d}//link//`]) {
    const run = await converge(file, { path: spelling, state: 'absent' });
    assert.ok(existsSync(`${d}/target/keep`), `${spelling} deleted the target's contents`);
    assert.not.ok(existsSync(`${d}/link`));
    await undo(file, run.undo);
    assert.equal(snapshot(d), before);
  }
});

test('records of older versions that name a backup path are refused, not followed', async () => {
  const d = tempDir();
  const record = { type: 'directory', path: `${d}/x`, mode: '755', uid: 0, gid: 0, backup: '/var/tmp/runbook/backups/tree-1.tar', backupSha256: 'a'.repeat(64) };
  assert.match((await caught(undo(file, record))).message, /is not a name in the backup store/);
});

test.run();
