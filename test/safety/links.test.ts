// Safety #2: a user who can change a directory (a service account's home) can point links there
// anywhere. Running as root, runbook must never follow such a link into a file that user does
// not own: no write into it, no chown of it. Real users, real files, the real tasks.

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import authorizedKey from '../../tasks/authorized_key.js';
import env from '../../tasks/env.js';
import file from '../../tasks/file.js';
import lineinfile from '../../tasks/lineinfile.js';
import { createAccount, type Account } from '../helpers/account.js';
import { caught } from '../helpers/caught.js';
import { cleanup, converge, tempDir } from '../helpers/task-harness.js';

const USER = 'rbsafe_links';
let uid = -1;
let home = '';
let root = '';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOo6Q2l1Q0d2ZmJ6bWJ6bWJ6bWJ6bWJ6bWJ6bWJ6bWJ6 ops@example';

let account: Account;

test.before(() => {
  root = tempDir('runbook-safety-links-');
  account = createAccount(USER, `${root}/home`);
  ({ home, uid } = account);
});
test.after(() => {
  account.remove();
  cleanup();
});

/** A root-owned file outside the user's reach, as /etc/shadow or /root/.bashrc would be. */
function rootFile(name: string): string {
  const path = `${root}/${name}`;
  writeFileSync(path, 'root:secret\n', { mode: 0o600 });
  return path;
}

function plantLink(target: string, at: string): void {
  if (existsSync(at) || lstatSync(at, { throwIfNoEntry: false })) execFileSync('rm', ['-rf', at]);
  symlinkSync(target, at);
  lchownSync(at, uid, uid); // the user made the link
}

test("env: a ~user/.bashrc that links to a root file is refused; the file is neither written nor chowned", async () => {
  const victim = rootFile('bashrc-victim');
  plantLink(victim, `${home}/.bashrc`);
  const e = await caught(converge(env, { user: USER, name: 'KAFKA_HOME', value: '/opt/kafka' }));
  assert.match(e.message, /refusing to follow the link .*\.bashrc: uid \d+ can change it, and it leads to .*bashrc-victim/);
  assert.is(readFileSync(victim, 'utf8'), 'root:secret\n');
  assert.is(statSync(victim).uid, 0);
});

test('env: a link to a file the user owns is followed, as before', async () => {
  writeFileSync(`${home}/real-bashrc`, '# mine\n');
  chownSync(`${home}/real-bashrc`, uid, uid);
  plantLink(`${home}/real-bashrc`, `${home}/.bashrc`);
  await converge(env, { user: USER, name: 'KAFKA_HOME', value: '/opt/kafka' });
  assert.is(readFileSync(`${home}/real-bashrc`, 'utf8'), "# mine\nexport KAFKA_HOME=/opt/kafka\n");
});

test('authorized_key: a ~/.ssh that links to a root directory is refused', async () => {
  const rootSsh = `${root}/root-ssh`;
  mkdirSync(rootSsh, { mode: 0o700 });
  writeFileSync(`${rootSsh}/authorized_keys`, 'ssh-ed25519 AAAA root@admin\n', { mode: 0o600 });
  plantLink(rootSsh, `${home}/.ssh`);
  const e = await caught(converge(authorizedKey, { user: USER, key: KEY }));
  assert.match(e.message, /refusing to follow the link .*\.ssh/);
  assert.is(readFileSync(`${rootSsh}/authorized_keys`, 'utf8'), 'ssh-ed25519 AAAA root@admin\n');
  assert.is(statSync(rootSsh).uid, 0);
});

test('file and lineinfile: a link planted inside the user\'s tree is not followed to chown or edit a root file', async () => {
  const victim = rootFile('conf-victim');
  mkdirSync(`${home}/conf`, { recursive: true });
  chownSync(`${home}/conf`, uid, uid);
  plantLink(victim, `${home}/conf/app.conf`);
  assert.match((await caught(converge(file, { path: `${home}/conf/app.conf`, owner: USER }))).message, /refusing to follow the link/);
  assert.match((await caught(converge(lineinfile, { path: `${home}/conf/app.conf`, line: 'x=1' }))).message, /refusing to follow the link/);
  // A directory link above the path counts too.
  plantLink(root, `${home}/up`);
  assert.match((await caught(converge(lineinfile, { path: `${home}/up/conf-victim`, line: 'x=1' }))).message, /refusing to follow the link .*\/up/);
  assert.is(readFileSync(victim, 'utf8'), 'root:secret\n');
  assert.is(statSync(victim).uid, 0);
});

test('a link in a world-writable directory without the sticky bit is refused whoever owns the target', async () => {
  const shared = tempDir('runbook-safety-shared-');
  execFileSync('chmod', ['0777', shared]);
  const victim = rootFile('shared-victim');
  symlinkSync(victim, `${shared}/x.conf`);
  assert.match((await caught(converge(lineinfile, { path: `${shared}/x.conf`, line: 'x=1' }))).message, /anyone can change it/);
});

test.run();
