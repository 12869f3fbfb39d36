// The forms real playbooks are written in, through the built CLI beside ansible-playbook (Debian's
// ansible-core) on the same task list: free-form command and shell with `args:` and inline
// creates=, key=value arguments with quotes and templates, fully qualified names, YAML 1.1
// booleans. Each tool writes its own tree; the trees must be equal, and so must what each run
// reports changed, on the first run and on the second (nothing). A word that is no key=value is
// an error at the task's value.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook, type Ran } from './helpers.js';
import { exec } from '../helpers/exec.js';
import { tree } from '../helpers/ansible-compare.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

const TASKS = `
  - name: Append to a log once (free-form shell, args creates)
    shell: echo run >> {{out}}/log && touch {{out}}/marker
    args:
      creates: "{{out}}/marker"
  - name: Touch a file once (free-form command, inline creates=)
    command: touch {{out}}/touched creates={{out}}/touched
  - name: A line in a config file (fully qualified, key=value, quoted value)
    ansible.builtin.lineinfile: path={{out}}/app.conf line="listen = 8080" create=yes
  - name: A directory (key=value, a template spanning spaces)
    ansible.builtin.file: path={{ out }}/data state=directory mode=0750
  - name: A file from content (key=value mode)
    copy: content=hello dest={{out}}/hello mode=0640
  - name: One file per item (loop_control with index_var and label)
    copy:
      dest: "{{ out }}/item-{{ idx }}"
      content: "{{ item.name }}\\n"
    loop:
      - { name: alpha, token: tok-one }
      - { name: beta, token: tok-two }
    loop_control:
      index_var: idx
      label: "{{ item.name }}"
  - name: A step keyword as YAML 1.1 says it
    command: test -d {{out}}/data
    become: no
    changed_when: false
`;

const changedOf = (output: string) => Number(/changed=(\d+)/.exec(output)?.[1]);

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-ansible-forms-'));
  mkdirSync(join(dir, 'runbooks'));
  mkdirSync(join(dir, 'by-runbook'));
  mkdirSync(join(dir, 'by-ansible'));
  writeFileSync(join(dir, 'runbooks', 'forms.yaml'), `name: forms\nvars:\n  out: ${dir}/by-runbook\nsteps:${TASKS}`);
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    out: ${dir}/by-ansible\n  tasks:${TASKS}`);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the same tasks in both tools: equal trees, equal changes, then nothing to do', async () => {
  const ansible = () => exec('ansible-playbook', ['-i', 'localhost,', 'playbook.yml'], dir, { ANSIBLE_NOCOLOR: '1' });
  const ours = () => runbook(['play', 'forms'], dir);
  const [a1, r1] = [await ansible(), await ours()];
  assert.is(a1.code, 0, show(a1));
  assert.is(r1.code, 0, show(r1));
  assert.equal(tree(join(dir, 'by-runbook')), tree(join(dir, 'by-ansible')));
  assert.equal(
    tree(join(dir, 'by-runbook')).map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['app.conf 644', 'data/ 750', 'hello 640', 'item-0 644', 'item-1 644', 'log 644', 'marker 644', 'touched 644'],
  );
  assert.is(changedOf(r1.stdout), changedOf(a1.stdout), `${r1.stdout}\n${a1.stdout}`);
  assert.is(changedOf(r1.stdout), 6);
  // Each item named by its label, as Ansible's "(item=alpha)"; the rest of the item not shown.
  assert.match(r1.stdout, /^changed: \[localhost\] One file per item [^\n]*alpha: create [^\n]*item-0[^\n]*beta: create [^\n]*item-1/m);
  assert.not.match(r1.stdout, /tok-one|tok-two/);
  const [a2, r2] = [await ansible(), await ours()];
  assert.is(changedOf(a2.stdout), 0, a2.stdout);
  assert.is(changedOf(r2.stdout), 0, r2.stdout);
  assert.equal(tree(join(dir, 'by-runbook')), tree(join(dir, 'by-ansible')));
});

test('key=value text with a word that is none: an error at the value, naming the word', async () => {
  writeFileSync(join(dir, 'runbooks', 'bad.yaml'), 'name: bad\nsteps:\n  - name: A copy\n    copy: dest=/tmp/x oops\n');
  const r = await runbook(['validate', 'bad'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /bad\.yaml:4:11: copy takes key=value words here, and "oops" is none/);
});

test.run();
