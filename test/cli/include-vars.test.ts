// include_vars through the built CLI: the file chosen by a var as the step runs (first_found),
// templates inside its values rendered when a later step uses them (one var of the file read by
// another), a vaulted file opened with --vault-password-file whose secret reaches the host but
// never the journal, and a resumed run that reads the file again.

import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encryptVault } from '../../src/vault/format.js';
import { ensureBuilt, runbook, type Ran } from './helpers.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const SECRET = 'vaulted-s3cr3t';

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-include-vars-'));
  mkdirSync(join(dir, 'runbooks', 'vars'), { recursive: true });
  writeFileSync(join(dir, 'runbooks', 'vars', 'Debian.yml'), 'heap: 1g\nlog_dir: "{{home}}/logs"\nhome: "{{base}}/kafka"\n');
  writeFileSync(join(dir, 'runbooks', 'vars', 'default.yml'), 'heap: 512m\nlog_dir: /var/log/kafka\nhome: /opt/kafka\n');
  writeFileSync(join(dir, 'pw'), 'pw\n');
  writeFileSync(join(dir, 'runbooks', 'vars', 'secrets.yml'), encryptVault(`db_password: ${SECRET}\n`, { id: 'default', password: Buffer.from('pw') }));
  writeFileSync(
    join(dir, 'runbooks', 'vars.yaml'),
    `name: vars
vars:
  out_dir: ${dir}
  base: /srv
  os: Debian
steps:
  - name: Vars of this system
    include_vars:
      first_found:
        - "vars/{{os}}.yml"
        - vars/default.yml
  - name: Secrets
    include_vars: vars/secrets.yml
  - name: Wait for the go
    command: test -e ${dir}/go
    changed_when: false
  - name: Write
    copy:
      dest: "{{out_dir}}/out"
      content: "{{heap}} {{log_dir}} {{db_password}}\\n"
`,
  );
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('include_vars: validate and --check know the names; the play reads the file its var names, rendering the templates in it', async () => {
  const validated = await runbook(['validate', 'vars'], dir);
  assert.is(validated.code, 0, show(validated));
  writeFileSync(join(dir, 'go'), '');
  const played = await runbook(['play', 'vars', '--vault-password-file', 'pw'], dir);
  assert.is(played.code, 0, show(played));
  assert.is(readFileSync(join(dir, 'out'), 'utf8'), `1g /srv/kafka/logs ${SECRET}\n`);
  const other = await runbook(['play', 'vars', '--vault-password-file', 'pw', '-e', 'os=RedHat', '--check', '--diff'], dir);
  assert.is(other.code, 0, show(other));
  assert.match(other.stdout, /-1g \/srv\/kafka\/logs \*+\n\+512m \/var\/log\/kafka \*+/);
  assert.not.match(other.stdout + other.stderr, SECRET);
  rmSync(join(dir, 'go'));
});

test('include_vars: a resumed run reads the files again; the secret never reaches the journal', async () => {
  rmSync(join(dir, 'out'));
  const failed = await runbook(['play', 'vars', '--vault-password-file', 'pw'], dir);
  assert.is(failed.code, 2, show(failed));
  writeFileSync(join(dir, 'go'), '');
  const resumed = await runbook(['resume', '--vault-password-file', 'pw'], dir);
  assert.is(resumed.code, 0, show(resumed));
  assert.match(resumed.stdout, /ok: \[localhost\] Secrets/);
  assert.is(readFileSync(join(dir, 'out'), 'utf8'), `1g /srv/kafka/logs ${SECRET}\n`);
  const runs = join(dir, '.runbook', 'runs');
  for (const run of readdirSync(runs)) {
    for (const file of readdirSync(join(runs, run))) assert.not.match(readFileSync(join(runs, run, file), 'utf8'), SECRET, `${run}/${file}`);
  }
});

test.run();
