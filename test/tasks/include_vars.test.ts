import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import includeVars from '../../tasks/include_vars.js';
import { encryptVault } from '../../src/vault/format.js';
import { revealedSecrets, useVaultSecrets } from '../../src/vault/keyring.js';
import { check } from '../helpers/task-harness.js';

const error = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);
let dir: string;
let runbookDir: string;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-include-vars-'));
  runbookDir = join(dir, 'runbooks');
  mkdirSync(join(runbookDir, 'vars'), { recursive: true });
  writeFileSync(join(runbookDir, 'vars', 'Debian.yml'), 'heap: 1g\nenabled: yes\nhome: "{{base}}/kafka"\n');
  writeFileSync(join(runbookDir, 'vars', 'default.yml'), 'heap: 512m\n');
  writeFileSync(join(runbookDir, 'vars', 'empty.yml'), '');
  writeFileSync(join(runbookDir, 'vars', 'list.yml'), '- a\n');
  writeFileSync(join(runbookDir, 'vars', 'bad-name.yml'), '"not a name": 1\n');
  writeFileSync(join(dir, 'secret.yml'), 'password: hunter2\n');
  symlinkSync('../../secret.yml', join(runbookDir, 'vars', 'out.yml'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('include_vars: the file\'s vars as Ansible reads them (YAML 1.1 booleans), their templates kept for later; in --check too', async () => {
  const r = await check(includeVars, { file: 'vars/Debian.yml' }, { runbookDir, checkMode: true });
  assert.is(r.inSync, true);
  assert.equal(r.data, { ansible_facts: { heap: '1g', enabled: true, home: '{{base}}/kafka' } });
  assert.is(r.summary, 'heap, enabled, home from vars/Debian.yml');
  const empty = await check(includeVars, { file: 'vars/empty.yml' }, { runbookDir });
  assert.equal(empty.data, { ansible_facts: {} });
});

test('include_vars: first_found reads the first file that exists; none: fails, or sets nothing with skip', async () => {
  const r = await check(includeVars, { first_found: ['vars/RedHat.yml', 'vars/default.yml', 'vars/Debian.yml'] }, { runbookDir });
  assert.equal(r.data, { ansible_facts: { heap: '512m' } });
  assert.match(await error(check(includeVars, { first_found: ['vars/a.yml', 'vars/b.yml'] }, { runbookDir })), /^include_vars: no file vars\/a\.yml, vars\/b\.yml in /);
  const skipped = await check(includeVars, { first_found: ['vars/a.yml'], skip: true }, { runbookDir });
  assert.equal([skipped.inSync, skipped.data, skipped.summary], [true, undefined, 'none of vars/a.yml exists: nothing set']);
});

test('include_vars: name puts the vars under one var', async () => {
  const r = await check(includeVars, { file: 'vars/default.yml', name: 'os' }, { runbookDir });
  assert.equal(r.data, { ansible_facts: { os: { heap: '512m' } } });
});

test('include_vars: a file outside the runbook\'s directory is refused, by path or through a link', async () => {
  assert.match(await error(check(includeVars, { file: '../secret.yml' }, { runbookDir })), /\.\.\/secret\.yml is outside the runbook's directory/);
  assert.match(await error(check(includeVars, { file: join(dir, 'secret.yml') }, { runbookDir })), /is outside the runbook's directory/);
  assert.match(await error(check(includeVars, { file: 'vars/out.yml' }, { runbookDir })), /vars\/out\.yml is outside the runbook's directory/);
});

test('include_vars: no mapping, or a key that is no var name, is an error naming the file', async () => {
  assert.match(await error(check(includeVars, { file: 'vars/list.yml' }, { runbookDir })), /list\.yml must be a mapping of var: value/);
  assert.match(await error(check(includeVars, { file: 'vars/bad-name.yml' }, { runbookDir })), /"not a name" is not a var name/);
});

test('include_vars: a vaulted file is opened with the vault password, its values secrets from then on', async () => {
  const secret = { id: 'default', password: Buffer.from('pw') };
  writeFileSync(join(runbookDir, 'vars', 'vaulted.yml'), encryptVault('db_password: s3cr3t-value\n', secret));
  assert.match(await error(check(includeVars, { file: 'vars/vaulted.yml' }, { runbookDir })), /encrypted with Ansible Vault/);
  useVaultSecrets([secret]);
  const r = await check(includeVars, { file: 'vars/vaulted.yml' }, { runbookDir });
  assert.equal(r.data, { ansible_facts: { db_password: 's3cr3t-value' } });
  assert.ok(revealedSecrets().has('s3cr3t-value'));
});

test('include_vars: the plan learns every name the step may set, a templated file name matching any file', () => {
  const names = (args: Record<string, unknown>) => includeVars.setsVars!.names(args, runbookDir).sort();
  // Every file under vars/ but the link that leads out, and no key that is no var name.
  assert.equal(names({ file: 'vars/{{ansible_facts.os_family}}.yml' }), ['db_password', 'enabled', 'heap', 'home']);
  assert.equal(names({ first_found: ['vars/{{os}}.yml', 'vars/default.yml'] }), ['db_password', 'enabled', 'heap', 'home']);
  assert.equal(names({ first_found: ['vars/D{{x}}n.yml'] }), ['enabled', 'heap', 'home']);
  assert.equal(names({ file: 'vars/{{x}}.yml', name: 'os' }), ['os']);
  assert.equal(names({ file: 'vars/missing.yml' }), []);
});

test('include_vars: file and first_found are one or the other', () => {
  assert.is(includeVars.args.safeParse({ file: 'a', first_found: ['b'] }).success, false);
  assert.is(includeVars.args.safeParse({}).success, false);
  assert.is(includeVars.args.safeParse({ file: 'a', skip: true }).success, false);
});

test.run();
