// Safety (medium): secrets by declaration, by name (Ansible's conventions) and no_log steps never
// reach `show`, --diff, --json, the journal or error messages. The CLI runs a real play locally
// and every byte it printed or wrote under .runbook/ is searched for the secret values.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook } from '../cli/helpers.js';

let project: string;
const SECRETS = {
  ansible_become_password: 'Become-Pw-4711',
  ansible_password: 'Login-Pw-4712',
  db_password: 'Db-Pw-4713',
  api_token: 'Tok-4714-abcdef',
  tls_key: 'KeyMaterial-4715',
};
const NO_LOG_SECRET = 'Printed-Only-4716';

function everyFile(dir: string): string {
  return readdirSync(dir).map((n) => join(dir, n)).map((p) => (statSync(p).isDirectory() ? everyFile(p) : readFileSync(p, 'utf8'))).join('\n');
}

test.before(async () => {
  await ensureBuilt();
  project = mkdtempSync(join(tmpdir(), 'runbook-secrets-'));
  mkdirSync(join(project, 'runbooks'));
  const hostVars = Object.entries(SECRETS).map(([k, v]) => `        ${k}: ${v}`).join('\n');
  writeFileSync(join(project, 'inv.yaml'), `all:\n  hosts:\n    local1:\n        ansible_connection: local\n${hostVars}\n`);
  writeFileSync(
    join(project, 'runbooks', 'leak.yaml'),
    `name: leak
steps:
  - name: write the config
    copy: { dest: ${project}/app.conf, content: "db={{db_password}} token={{api_token}} key={{tls_key}}\\n" }
  - name: echo a password
    command: { argv: [echo, "{{db_password}} {{ansible_become_password}} {{ansible_password}}"] }
    register: echoed
  - name: hidden
    shell: { cmd: "echo ${NO_LOG_SECRET}; echo ${NO_LOG_SECRET} >&2; exit 3" }
    no_log: true
    ignore_errors: true
    register: hidden
  - name: fails naming the token
    command: { argv: [sh, -c, "echo bad {{api_token}} >&2; exit 1"] }
`,
  );
});

test.after(() => rmSync(project, { recursive: true, force: true }));

test('named and no_log secrets never reach show, --json, --diff, the journal or errors', async () => {
  const shown = await runbook(['show', 'leak', '-i', 'inv.yaml'], project);
  assert.is(shown.code, 0, shown.stderr);
  const played = await runbook(['play', 'leak', '-i', 'inv.yaml', '--json', '--diff'], project);
  assert.is(played.code, 2, played.stderr);
  const plain = await runbook(['play', 'leak', '-i', 'inv.yaml', '--diff'], project);
  const runs = await runbook(['runs'], project);
  const everything = [shown.stdout, shown.stderr, played.stdout, played.stderr, plain.stdout, plain.stderr, runs.stdout, everyFile(join(project, '.runbook', 'runs'))].join('\n');
  for (const [name, value] of Object.entries(SECRETS)) assert.not.ok(everything.includes(value), `${name} leaked`);
  assert.not.ok(everything.includes(NO_LOG_SECRET), 'a no_log step leaked its output');
  assert.match(played.stdout, /hidden due to the fact that 'no_log: true'/);
  // The file itself is written as wanted: masking is for what is shown, not what is done.
  assert.is(readFileSync(join(project, 'app.conf'), 'utf8'), `db=${SECRETS.db_password} token=${SECRETS.api_token} key=${SECRETS.tls_key}\n`);
});

test.run();
