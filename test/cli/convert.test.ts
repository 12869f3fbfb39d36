// `runbook convert` on a playbook written in Ansible's style (test/fixtures/ansible-convert: 23
// tasks across the task families, a role with defaults, handlers, an imported task file, a block,
// a Jinja template and a static file): the runbooks it writes validate, and played they leave the
// same tree as ansible-playbook (Debian's ansible-core) leaves from the original, with the same
// changed counts, then nothing to do. What it cannot translate is listed with file:line:col and
// left as a failing step; it never overwrites a file without --force.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root, runbook, type Ran } from './helpers.js';
import { exec } from '../helpers/exec.js';
import { tree } from '../helpers/ansible-compare.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const changedOf = (output: string) => Number(/changed=(\d+)/.exec(output)?.[1]);

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-convert-'));
  cpSync(join(root, 'test/fixtures/ansible-convert'), join(dir, 'ansible'), { recursive: true });
  for (const d of ['project/runbooks', 'by-runbook', 'by-ansible']) mkdirSync(join(dir, d), { recursive: true });
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a playbook with a role: the runbooks validate and leave the tree ansible-playbook leaves, changes equal', async () => {
  const project = join(dir, 'project');
  const converted = await runbook(['convert', '../ansible/site.yml'], project);
  assert.is(converted.code, 0, show(converted));
  assert.is(converted.stderr, '', 'everything is translated');
  for (const f of ['runbooks/site.yaml', 'runbooks/app.yaml', 'runbooks/templates/app/app.conf.hbs', 'runbooks/files/app/motd', 'runbooks/vars/app/Debian.yml', 'runbooks/vars/site/settings.yml']) {
    assert.match(converted.stdout, f);
  }
  assert.match(converted.stdout, /note: \.\.\/ansible\/site\.yml:\d+:\d+: debug only prints: kept as a comment/);
  const validated = await runbook(['validate', 'runbooks/site.yaml'], project);
  assert.is(validated.code, 0, show(validated));

  const ansible = () => exec('ansible-playbook', ['-i', 'localhost,', 'site.yml', '-e', `out=${dir}/by-ansible`], join(dir, 'ansible'), { ANSIBLE_NOCOLOR: '1' });
  const ours = () => runbook(['play', 'runbooks/site.yaml', '-e', `out=${dir}/by-runbook`], project);
  const [a1, r1] = [await ansible(), await ours()];
  assert.is(a1.code, 0, show(a1));
  assert.is(r1.code, 0, show(r1));
  const trees = () => [tree(join(dir, 'by-runbook')), tree(join(dir, 'by-ansible'))];
  const [ourTree, theirTree] = trees();
  assert.equal(ourTree, theirTree);
  assert.ok(ourTree.length >= 15, ourTree.join('\n'));
  assert.ok(ourTree.includes('family 644 "family=Debian\\n"'), 'facts under Ansible\'s names');
  assert.ok(ourTree.includes('etc/shell 644 "/bin/bash /home/demo\\n"'), 'include_vars: the first file found, by the facts');
  assert.ok(ourTree.includes('rescued 644 "rescued\\n"') && ourTree.includes('always 644 "always\\n"') && !ourTree.some((l) => l.startsWith('never')), 'block: rescue and always');
  assert.ok(ourTree.includes('motto 644 "8080 is the port low,8080\\n"'), 'include_vars: a file\'s vars under one name, their templates rendered');
  assert.ok(ourTree.some((l) => l.startsWith('etc/app.conf 640 "# demo (svc)\\nlevel=info\\nworkers=4\\nport=8080\\ndebug=false\\nfeature.0=metrics')), ourTree.join('\n'));
  assert.is(changedOf(r1.stdout), changedOf(a1.stdout), `${r1.stdout}\n${a1.stdout}`);
  assert.match(r1.stdout, /changed: \[localhost\] restart app/);

  const [a2, r2] = [await ansible(), await ours()];
  assert.is(changedOf(a2.stdout), 0, a2.stdout);
  assert.is(changedOf(r2.stdout), 0, r2.stdout);
  assert.equal(trees()[0], trees()[1]);
});

test('what is not translated: listed with file:line:col, a failing step with the original above it', async () => {
  const src = join(dir, 'partial');
  mkdirSync(join(src, 'templates'), { recursive: true });
  writeFileSync(join(src, 'templates', 'x.j2'), 'a\n{% set y = 1 %}\n');
  mkdirSync(join(src, 'files', 'linked'), { recursive: true });
  symlinkSync('/etc/shadow', join(src, 'files', 'linked', 'secret'));
  writeFileSync(
    join(src, 'play.yml'),
    `- hosts: localhost
  tasks:
    - name: Fine
      command: "true"
      changed_when: false
    - name: Vars by the OS
      include_vars:
        dir: vars
    - name: A lookup
      copy:
        content: "{{ lookup('env', 'HOME') }}"
        dest: /tmp/home
    - name: With an environment
      command: make
      environment: { CC: gcc }
    - name: A template with a set
      template: { src: x.j2, dest: /tmp/x }
    - name: A directory with a link in it
      copy: { src: linked/, dest: /tmp/linked }
    - block:
        - name: Inside the block
          command: "true"
      rescue:
        - name: Recover
          command: "false"
          delegate_to: other
`,
  );
  const project = join(dir, 'partial-project');
  mkdirSync(join(project, 'runbooks'), { recursive: true });
  const r = await runbook(['convert', join(src, 'play.yml')], project);
  assert.is(r.code, 0, show(r));
  const listed = r.stderr.split('\n').filter((l) => l.startsWith('  '));
  assert.equal(
    listed.map((l) => l.trim().replace(/^.*?partial\//, '')),
    [
      'play.yml:8:9: include_vars\' "dir" is not translated (file, name and with_first_found are)',
      `play.yml:11:22: cannot translate lookup(...) (in "{{ lookup('env', 'HOME') }}")`,
      'play.yml:15:7: the keyword "environment" has no runbook counterpart',
      'templates/x.j2:2:1: in the template: cannot translate the statement "set"',
      'play.yml:19:13: ../partial/files/linked/secret is neither a file nor a directory: a directory copy takes files only',
      'play.yml:26:11: the keyword "delegate_to" has no runbook counterpart',
    ],
    r.stderr,
  );
  assert.not.ok(existsSync(join(project, 'runbooks', 'files')), 'nothing a link leads to is copied');
  const text = readFileSync(join(project, 'runbooks', 'play.yaml'), 'utf8');
  assert.match(text, /# [^\n]*play\.yml:8:9: include_vars' "dir" is not translated [^\n]*\n\s+#\s+- name: Vars by the OS\n\s+#\s+include_vars:/);
  assert.match(text, /- name: "NOT CONVERTED: Vars by the OS"\n\s+fail:/);
  assert.match(text, /- block:\n\s+- name: Inside the block\n[^]*rescue:\n\s+# [^\n]*play\.yml:26:11: the keyword "delegate_to"[^\n]*\n(\s+#[^\n]*\n)+\s+- name: "NOT CONVERTED: Recover"/);
  const validated = await runbook(['validate', 'runbooks/play.yaml'], project);
  assert.is(validated.code, 0, show(validated));
  const played = await runbook(['play', 'runbooks/play.yaml', '-e', 'ram_mb=1024'], project);
  assert.is(played.code, 2, show(played));
  assert.match(played.stdout, /failed: \[localhost\] NOT CONVERTED: Vars by the OS: runbook convert could not translate [^\n]*play\.yml:8:9: include_vars' "dir" is not translated/);
});

test('a role directory converts alone; files that exist are never overwritten without --force', async () => {
  const project = join(dir, 'role-project');
  mkdirSync(join(project, 'runbooks'), { recursive: true });
  const role = join(dir, 'ansible', 'roles', 'app');
  const first = await runbook(['convert', role], project);
  assert.is(first.code, 0, show(first));
  assert.match(first.stdout, /runbook validate runbooks\/app\.yaml/);
  writeFileSync(join(project, 'runbooks', 'app.yaml'), 'name: mine\nsteps: []\n');
  const again = await runbook(['convert', role], project);
  assert.is(again.code, 1, show(again));
  assert.match(again.stderr, /these files exist and would be overwritten:\n {2}runbooks\/vars\/app\/Debian\.yml\n {2}runbooks\/vars\/app\/RedHat\.yml\n {2}runbooks\/vars\/app\/default\.yml\n {2}runbooks\/templates\/app\/app\.conf\.hbs\n {2}runbooks\/files\/app\/motd\n {2}runbooks\/files\/app\/conf\.d\/extra\/y\.conf\n {2}runbooks\/files\/app\/conf\.d\/x\.conf\n {2}runbooks\/app\.yaml/);
  assert.is(readFileSync(join(project, 'runbooks', 'app.yaml'), 'utf8'), 'name: mine\nsteps: []\n');
  const forced = await runbook(['convert', role, '--force'], project);
  assert.is(forced.code, 0, show(forced));
  assert.match(readFileSync(join(project, 'runbooks', 'app.yaml'), 'utf8'), /^name: app\n/);
});

test.run();
