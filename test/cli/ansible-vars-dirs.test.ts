// group_vars/ and host_vars/ beside the inventory and beside the runbook (Ansible: beside the
// playbook), with the precedence Ansible documents, checked against Debian's ansible-core on the
// same files: the playbook's group_vars/all wins over the inventory's, a more specific group of the
// inventory wins over the playbook's all, the playbook's own group and host vars win over the
// inventory's for the same group and host. Each tool writes what it resolved into a file.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook, type Ran } from './helpers.js';
import { exec } from '../helpers/exec.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const write = (path: string, text: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const NAMES = ['a', 'b', 'c', 'd', 'e'];
const line = NAMES.map((n) => `${n}={{ ${n} }}`).join(' ');

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-vars-dirs-'));
  write('inv/hosts.yml', 'all:\n  children:\n    web:\n      hosts:\n        h1:\n          ansible_connection: local\n          e: inv-file-host\n');
  write('inv/group_vars/all.yml', 'a: inv-all\nb: inv-all\nc: inv-all\nd: inv-all\ne: inv-all\n');
  write('inv/group_vars/web.yml', 'b: inv-web\n');
  write('inv/host_vars/h1.yml', 'd: inv-host\n');
  write('runbooks/group_vars/all.yml', 'a: book-all\nb: book-all\n');
  write('runbooks/group_vars/web/main.yml', 'c: book-web\n');
  write('runbooks/host_vars/h1.yml', 'd: book-host\n');
  write('runbooks/show.yaml', `name: show\nhosts: all\nsteps:\n  - name: What the vars are\n    copy: { dest: "${dir}/by-runbook", content: "${line}\\n" }\n`);
  write('runbooks/show.yml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: "${dir}/by-ansible", content: "${line}\\n" }\n`);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('vars beside the inventory and beside the runbook: what ansible-playbook resolves', async () => {
  const a = await exec('ansible-playbook', ['-i', 'inv/hosts.yml', 'runbooks/show.yml'], dir, { ANSIBLE_NOCOLOR: '1' });
  assert.is(a.code, 0, a.stdout + a.stderr);
  const r = await runbook(['play', 'show', '-i', 'inv/hosts.yml'], dir);
  assert.is(r.code, 0, show(r));
  const theirs = readFileSync(join(dir, 'by-ansible'), 'utf8');
  assert.is(theirs, 'a=book-all b=inv-web c=book-web d=book-host e=inv-file-host\n', 'what Ansible documents');
  assert.is(readFileSync(join(dir, 'by-runbook'), 'utf8'), theirs);
});

test.run();
