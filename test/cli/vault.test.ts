// Ansible Vault through the built CLI, side by side with ansible-vault and ansible from Debian's
// ansible-core: a file ansible-vault encrypted is read (as a whole inventory, as -e @file, by
// `runbook vault view`); files and values runbook encrypts are read by ansible-vault and ansible;
// `!vault` values in an inventory are used by a play and never shown: not in its output or diff,
// not in the journal, not in the run's header, whatever the var is called. Passwords from a
// file, an executable, --vault-id and RUNBOOK_VAULT_PASSWORD_FILE; a missing or wrong password
// is an error at the value's file:line:col.

import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root, runbook, type Ran } from './helpers.js';
import { exec } from '../helpers/exec.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const CLI = join(root, 'dist/cli/main.js');
const SECRET = 'hunter2-the-db-password';

/** Every file under `d`, read whole. */
function everything(d: string): string {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

async function ansibleVault(...args: string[]): Promise<Ran> {
  return exec('ansible-vault', args, dir);
}

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-vault-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'pw'), 'correct horse\n');
  writeFileSync(join(dir, 'wrong'), 'battery staple\n');
  writeFileSync(join(dir, 'pw.sh'), '#!/bin/sh\necho "correct horse"\n');
  chmodSync(join(dir, 'pw.sh'), 0o755);
  writeFileSync(
    join(dir, 'runbooks', 'use.yaml'),
    `name: use
steps:
  - name: Write the connection string
    copy:
      dest: ${dir}/out.txt
      content: "url=postgres://app:{{db_conn}}@db/app level={{level}}\\n"
`,
  );
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a file ansible-vault encrypted: runbook vault view, a whole vaulted inventory, -e @file', async () => {
  writeFileSync(join(dir, 'secrets.yml'), `db_conn: ${SECRET}\n`);
  const enc = await ansibleVault('encrypt', '--vault-password-file', 'pw', 'secrets.yml');
  assert.is(enc.code, 0, show(enc));
  const view = await runbook(['vault', 'view', 'secrets.yml', '--vault-password-file', 'pw'], dir);
  assert.is(view.code, 0, show(view));
  assert.is(view.stdout, `db_conn: ${SECRET}\n`);

  writeFileSync(join(dir, 'inv.yml'), 'all:\n  vars:\n    level: 3\n  hosts:\n    localhost: { ansible_connection: local }\n');
  const played = await runbook(['play', 'use', '-i', 'inv.yml', '-e', '@secrets.yml', '--vault-password-file', 'pw.sh', '--diff'], dir);
  assert.is(played.code, 0, show(played));
  assert.is(readFileSync(join(dir, 'out.txt'), 'utf8'), `url=postgres://app:${SECRET}@db/app level=3\n`);
  assert.not.ok((played.stdout + played.stderr).includes(SECRET), played.stdout);
  assert.ok(played.stdout.includes('url=postgres://app:********@db/app'), played.stdout);
  // db_conn's name says nothing, yet the run's header holds no value for it.
  assert.not.ok(everything(join(dir, '.runbook')).includes(SECRET), 'the journal never holds it');
  rmSync(join(dir, 'out.txt'));

  // The whole inventory vaulted by ansible-vault.
  writeFileSync(join(dir, 'inv-vaulted.yml'), `all:\n  vars:\n    level: 4\n    db_conn: ${SECRET}\n  hosts:\n    localhost: { ansible_connection: local }\n`);
  assert.is((await ansibleVault('encrypt', '--vault-password-file', 'pw', 'inv-vaulted.yml')).code, 0);
  const whole = await runbook(['play', 'use', '-i', 'inv-vaulted.yml', '--vault-password-file', 'pw'], dir);
  assert.is(whole.code, 0, show(whole));
  assert.is(readFileSync(join(dir, 'out.txt'), 'utf8'), `url=postgres://app:${SECRET}@db/app level=4\n`);
});

test('!vault values in an inventory (encrypt-string), with a vault id: used, masked, read by ansible too', async () => {
  const made = await exec('sh', ['-c', `printf '%s' '${SECRET}' | node ${CLI} vault encrypt-string --name db_conn --vault-id prod@pw`], dir);
  assert.is(made.code, 0, show(made));
  assert.match(made.stdout, /^db_conn: !vault \|\n  \$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  writeFileSync(join(dir, 'inline.yml'), `all:\n  vars:\n    level: 5\n${made.stdout.replace(/^/gm, '    ').trimEnd()}\n  hosts:\n    localhost: { ansible_connection: local }\n`);
  const played = await runbook(['play', 'use', '-i', 'inline.yml', '--vault-id', 'dev@wrong', '--vault-id', 'prod@pw', '--diff'], dir);
  assert.is(played.code, 0, show(played));
  assert.ok(readFileSync(join(dir, 'out.txt'), 'utf8').includes(SECRET));
  assert.not.ok((played.stdout + played.stderr).includes(SECRET), played.stdout);
  // ansible reads the value runbook wrote, under the same vault id.
  const ansible = await exec('ansible', ['-i', 'inline.yml', 'localhost', '-m', 'debug', '-a', 'var=db_conn', '--vault-id', 'prod@pw'], dir);
  assert.is(ansible.code, 0, show(ansible));
  assert.ok(ansible.stdout.includes(`"db_conn": "${SECRET}"`), ansible.stdout);

  // No password, or a wrong one: an error at the value, nothing run.
  const none = await runbook(['play', 'use', '-i', 'inline.yml'], dir);
  assert.is(none.code, 1, show(none));
  assert.match(none.stderr, /inline\.yml:4:\d+: this value is encrypted with Ansible Vault, and no vault password was given/);
  assert.match(none.stderr, /hint: give the vault password: --vault-password-file/);
  const wrong = await exec('node', [CLI, 'play', 'use', '-i', 'inline.yml'], dir, { RUNBOOK_VAULT_PASSWORD_FILE: join(dir, 'wrong') });
  assert.is(wrong.code, 1, show(wrong));
  assert.match(wrong.stderr, /no vault password given opens it \(vault id prod\)/);
  const fromEnv = await exec('node', [CLI, 'play', 'use', '-i', 'inline.yml'], dir, { RUNBOOK_VAULT_PASSWORD_FILE: join(dir, 'pw') });
  assert.is(fromEnv.code, 0, show(fromEnv));
});

test('runbook vault encrypt, edit, decrypt: ansible-vault reads what runbook writes; the mode is kept; refusals change nothing', async () => {
  writeFileSync(join(dir, 'team.yml'), 'token: abc\n', { mode: 0o640 });
  const enc = await runbook(['vault', 'encrypt', 'team.yml', '--vault-password-file', 'pw'], dir);
  assert.is(enc.code, 0, show(enc));
  assert.is(statSync(join(dir, 'team.yml')).mode & 0o777, 0o640);
  assert.is((await ansibleVault('view', '--vault-password-file', 'pw', 'team.yml')).stdout, 'token: abc\n');
  const again = await runbook(['vault', 'encrypt', 'team.yml', '--vault-password-file', 'pw'], dir);
  assert.is(again.code, 1, show(again));
  assert.match(again.stderr, /already encrypted: team\.yml/);

  const edited = await exec('node', [CLI, 'vault', 'edit', 'team.yml', '--vault-password-file', 'pw'], dir, { EDITOR: 'sed -i s/abc/xyz/' });
  assert.is(edited.code, 0, show(edited));
  assert.is((await ansibleVault('view', '--vault-password-file', 'pw', 'team.yml')).stdout, 'token: xyz\n');
  assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('runbook-vault-') && statSync(join(tmpdir(), f)).isDirectory() && !dir.endsWith(f)), [], 'no decrypted copy left behind');

  const wrong = await runbook(['vault', 'decrypt', 'team.yml', '--vault-password-file', 'wrong'], dir);
  assert.is(wrong.code, 1, show(wrong));
  assert.ok(readFileSync(join(dir, 'team.yml'), 'utf8').startsWith('$ANSIBLE_VAULT;1.1;AES256\n'), 'still encrypted');
  const dec = await runbook(['vault', 'decrypt', 'team.yml', '--vault-password-file', 'pw'], dir);
  assert.is(dec.code, 0, show(dec));
  assert.is(readFileSync(join(dir, 'team.yml'), 'utf8'), 'token: xyz\n');
});

test.run();
