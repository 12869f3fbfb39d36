// The file task beside Ansible's file module (Debian's ansible-core), case by case: each case
// sets up the same small tree twice, one for each tool, then both run the same task on it, twice.
// What each run reports (changed, ok, failed) must be the same, and so must the trees: types,
// modes, contents, link targets, and which paths share an inode (hard links). Where runbook differs
// on purpose, the case says how, and the test holds it to exactly that difference.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook } from './helpers.js';
import { exec } from '../helpers/exec.js';
import { ansibleOutcomes, ourOutcomes, tree, type Outcome } from '../helpers/ansible-compare.js';

interface Case {
  name: string;
  /** Shell lines run in the case's directory (for each tool's copy) before the task. */
  setup: string;
  /** The task's arguments, Ansible's key: value lines; `{{d}}` is the case's directory. */
  args: string;
  /** What both tools report on the first run and on the second. */
  outcomes: [Outcome, Outcome];
  /** Where runbook differs on purpose: its own outcomes, and why. */
  ours?: { outcomes: [Outcome, Outcome]; why: string };
}

const CASES: Case[] = [
  { name: 'hard link to a file', setup: 'echo d > data', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"', outcomes: ['changed', 'ok'] },
  { name: 'hard link over a file, no force', setup: 'echo d > data; echo mine > twin', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"', outcomes: ['failed', 'failed'] },
  { name: 'hard link over a file, force', setup: 'echo d > data; echo mine > twin', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"\nforce: true', outcomes: ['changed', 'ok'] },
  { name: 'hard link over a symlink', setup: 'echo d > data; ln -s elsewhere twin', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"', outcomes: ['changed', 'ok'] },
  { name: 'hard link to a missing file', setup: ':', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/nothing"', outcomes: ['failed', 'failed'] },
  { name: 'hard link where a directory is: inside it', setup: 'echo d > data; mkdir twin', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"', outcomes: ['changed', 'ok'] },
  { name: 'hard link where a link to a directory is: inside it', setup: 'echo d > data; mkdir real; ln -s real twin', args: 'path: "{{d}}/twin"\nstate: hard\nsrc: "{{d}}/data"', outcomes: ['changed', 'ok'] },
  { name: 'symlink to a missing src, no force', setup: ':', args: 'path: "{{d}}/later"\nstate: link\nsrc: not-yet', outcomes: ['failed', 'failed'] },
  { name: 'symlink to a missing src, force', setup: ':', args: 'path: "{{d}}/later"\nstate: link\nsrc: not-yet\nforce: true', outcomes: ['changed', 'ok'] },
  { name: 'symlink over a directory with files in it, force', setup: 'mkdir full; echo x > full/x', args: 'path: "{{d}}/full"\nstate: link\nsrc: /tmp\nforce: true', outcomes: ['failed', 'failed'] },
  { name: 'no state, a directory there: its mode', setup: 'mkdir dir; chmod 700 dir', args: 'path: "{{d}}/dir"\nmode: "0750"', outcomes: ['changed', 'ok'] },
  { name: 'no state, nothing there', setup: ':', args: 'path: "{{d}}/nothing"', outcomes: ['failed', 'failed'] },
  { name: 'no state with recurse: a directory', setup: ':', args: 'path: "{{d}}/made"\nrecurse: true\nmode: "0750"', outcomes: ['changed', 'ok'] },
  {
    name: 'touch on a directory there',
    setup: 'mkdir dir; chmod 700 dir',
    args: 'path: "{{d}}/dir"\nstate: touch\nmode: "0755"',
    outcomes: ['changed', 'changed'],
    ours: { outcomes: ['changed', 'ok'], why: 'touch leaves the timestamps of what is there alone: idempotent' },
  },
  { name: 'touch a new file', setup: ':', args: 'path: "{{d}}/new"\nstate: touch\nmode: "0640"', outcomes: ['changed', 'changed'], ours: { outcomes: ['changed', 'ok'], why: 'touch leaves the timestamps of what is there alone: idempotent' } },
];

let dir: string;

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');
const caseDir = (tool: string, i: number) => join(dir, tool, `case${i}`);
const taskText = (c: Case, i: number, tool: string) =>
  `  - name: "case ${i}: ${c.name}"\n    ignore_errors: true\n    file:\n${indent(c.args.replaceAll('{{d}}', caseDir(tool, i)), '      ')}\n`;

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-ansible-file-'));
  mkdirSync(join(dir, 'runbooks'));
  for (const tool of ['runbook', 'ansible']) {
    CASES.forEach((c, i) => {
      mkdirSync(caseDir(tool, i), { recursive: true });
      execFileSync('sh', ['-c', c.setup], { cwd: caseDir(tool, i) });
    });
  }
  writeFileSync(join(dir, 'runbooks', 'files.yaml'), `name: files\nsteps:\n${CASES.map((c, i) => taskText(c, i, 'runbook')).join('')}`);
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${CASES.map((c, i) => taskText(c, i, 'ansible')).join('')}`);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('each case in both tools: the same outcome on two runs and the same tree, but for the differences stated', async () => {
  const ansible = () => exec('ansible-playbook', ['-i', 'localhost,', 'playbook.yml'], dir, { ANSIBLE_NOCOLOR: '1' });
  const ours = () => runbook(['play', 'files'], dir);
  const runs: Array<{ ansible: Outcome[]; ours: Outcome[] }> = [];
  for (let pass = 0; pass < 2; pass++) {
    const [a, r] = [await ansible(), await ours()];
    runs.push({ ansible: ansibleOutcomes(a.stdout, CASES.length), ours: ourOutcomes(r.stdout, CASES.length) });
    if (pass === 0) assert.ok(r.stdout.includes('case 0: '), r.stdout + r.stderr);
  }
  const report: string[] = [];
  CASES.forEach((c, i) => {
    const theirs: Outcome[] = [runs[0].ansible[i], runs[1].ansible[i]];
    const ours: Outcome[] = [runs[0].ours[i], runs[1].ours[i]];
    if (theirs.join() !== c.outcomes.join()) report.push(`case ${i} (${c.name}): Ansible ${theirs.join(', ')}, the case says ${c.outcomes.join(', ')}`);
    const want = c.ours?.outcomes ?? c.outcomes;
    if (ours.join() !== want.join()) report.push(`case ${i} (${c.name}): runbook ${ours.join(', ')}, expected ${want.join(', ')}`);
    const [t1, t2] = [tree(caseDir('runbook', i)), tree(caseDir('ansible', i))];
    if (t1.join('\n') !== t2.join('\n')) report.push(`case ${i} (${c.name}): trees differ\n  runbook: ${t1.join(' | ')}\n  ansible: ${t2.join(' | ')}`);
  });
  assert.equal(report, []);
});

test.run();
