// Generated cases for lineinfile, blockinfile, file, copy and template, each run by
// ansible-playbook (Debian's ansible-core) and by runbook on identical trees, twice: every case
// crosses a starting state of its file with one set of arguments. What each run reports (changed,
// ok, failed) and the tree left (types, modes, bytes, link targets) must be the same, but for the
// differences the README states, which the cases below hold runbook to, with their reason.
// Template cases use the same Jinja file in both, translated by `runbook convert`'s translator.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { translateText } from '../../src/convert/jinja-text.js';
import { ensureBuilt, runbook } from './helpers.js';
import { exec } from '../helpers/exec.js';
import { ansibleOutcomes, ourOutcomes, tree, type Outcome } from '../helpers/ansible-compare.js';

interface Case {
  module: string;
  name: string;
  /** sh run in the case's directory, for each tool's copy, before the play. */
  setup: string;
  /** The module's arguments; the string `D` stands for the case's directory. */
  args: Record<string, unknown>;
  /** Where runbook differs on purpose (README, "what differs on purpose"): why, and what it does instead. */
  differs?: { why: string; outcomes?: [Outcome, Outcome]; tree?: boolean };
}

const file = (content: string | null, name = 'f') => (content === null ? ':' : `printf '%s' '${content.replace(/'/g, "'\\''")}' > ${name}`);

/** Starting states crossed with argument sets, per module. */
function generate(): Case[] {
  const cases: Case[] = [];
  const cross = (module: string, states: Record<string, string>, argSets: Array<[string, Record<string, unknown>]>) => {
    for (const [state, setup] of Object.entries(states)) for (const [what, args] of argSets) cases.push({ module, name: `${module} ${what} on ${state}`, setup, args: { path: 'D/f', ...args } });
  };

  cross(
    'lineinfile',
    { empty: file(''), lines: file('a\nb\nc\n'), 'no final newline': file('a\nb\nc'), 'key=value': file('x=1\ny=2\nx=3\n'), duplicates: file('b\nb\n'), missing: file(null) },
    [
      ['a line there', { line: 'b' }],
      ['a new line', { line: 'd' }],
      ['regexp replacing', { regexp: '^x=', line: 'x=9' }],
      ['regexp matching nothing', { regexp: '^z=', line: 'z=0' }],
      ['insertafter a match', { line: 'd', insertafter: '^a' }],
      ['insertafter EOF', { line: 'd', insertafter: 'EOF' }],
      ['insertbefore BOF', { line: 'd', insertbefore: 'BOF' }],
      ['insertbefore a match', { line: 'd', insertbefore: '^c' }],
      ['insertafter matching nothing', { line: 'd', insertafter: '^nomatch' }],
      ['absent by line', { line: 'b', state: 'absent' }],
      ['absent by regexp', { regexp: '^x=', state: 'absent' }],
      ['backrefs', { regexp: '^(x)=(\\d)', line: '\\1=\\2\\2', backrefs: true }],
      ['firstmatch', { regexp: '^x=', line: 'x=0', firstmatch: true }],
      ['search_string', { search_string: 'y=', line: 'y=5' }],
      ['create', { line: 'n', create: true }],
      ['regexp with insertafter', { regexp: '^b', line: 'B', insertafter: '^c' }],
      ['a mode', { line: 'b', mode: '0600' }],
    ],
  );

  cross(
    'blockinfile',
    {
      empty: file(''),
      lines: file('a\nb\n'),
      "Ansible's block": file('a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n'),
      'a custom block': file('a\n// BEGIN M\nold\n// END M\n'),
      missing: file(null),
    },
    [
      ['two lines', { block: 'x\ny' }],
      ['insertbefore BOF', { block: 'x', insertbefore: 'BOF' }],
      ['insertafter a match', { block: 'x', insertafter: '^a' }],
      ['an empty block', { block: '' }],
      ['absent', { block: 'x', state: 'absent' }],
      ['a custom marker', { block: 'x', marker: '// {mark} M' }],
      ['create', { block: 'x', create: true }],
      ['the same block', { block: 'old' }],
      ['a final newline', { block: 'x\n' }],
      ['content, an alias', { content: 'x' }],
    ],
  );

  for (const module of ['lineinfile', 'blockinfile']) {
    const text = module === 'lineinfile' ? { line: 'n' } : { block: 'n' };
    cases.push({ module, name: `${module} create in a missing directory`, setup: ':', args: { path: 'D/sub/deeper/f', create: true, ...text } });
    cases.push({ module, name: `${module} without create in a missing directory`, setup: ':', args: { path: 'D/sub/f', ...text } });
  }

  const fileStates = {
    missing: 'echo t > target',
    'a file': 'echo t > target; echo f > f; chmod 644 f',
    'a directory': 'echo t > target; mkdir f; chmod 755 f',
    'a link to a file': 'echo t > target; ln -s target f',
    'a dangling link': 'echo t > target; ln -s nowhere f',
  };
  cross('file', fileStates, [
    ['directory', { state: 'directory' }],
    ['absent', { state: 'absent' }],
    ['file', { state: 'file' }],
    ['directory with a mode', { state: 'directory', mode: '0700' }],
    ['file with a mode', { state: 'file', mode: '0600' }],
    ['link', { state: 'link', src: 'target' }],
    ['hard', { state: 'hard', src: 'D/target' }],
    ['no state, a mode', { mode: '0640' }],
    ['recurse', { state: 'directory', recurse: true, mode: '0750' }],
  ]);

  const copyStates = {
    missing: ':',
    'the same': `${file('hello\n')}; chmod 644 f`,
    'other content': file('bye\n'),
    'the same, mode 600': `${file('hello\n')}; chmod 600 f`,
    'a directory': 'mkdir f',
  };
  for (const [state, setup] of Object.entries(copyStates)) {
    for (const [what, args] of [
      ['content', { content: 'hello\n' }],
      ['content and mode', { content: 'hello\n', mode: '0600' }],
      ['empty content', { content: '' }],
      ['force: false', { content: 'hello\n', force: false }],
      ['other content', { content: 'other' }],
    ] as Array<[string, Record<string, unknown>]>) {
      cases.push({ module: 'copy', name: `copy ${what} on ${state}`, setup, args: { dest: state === 'a directory' ? 'D/f/' : 'D/f', ...args } });
    }
  }

  // A link at dest: follow: false replaces it, as Ansible does by default; ours follows it by default.
  for (const [state, setup] of Object.entries({ 'a link to a file': "printf 'old' > target; ln -s target f", 'a dangling link': 'ln -s nowhere f' })) {
    cases.push({ module: 'copy', name: `copy follow: false on ${state}`, setup, args: { dest: 'D/f', content: 'hello\n', follow: false } });
    cases.push({ module: 'template', name: `template follow: false on ${state}`, setup, args: { dest: 'D/f', src: 'hello.j2', follow: false } });
    cases.push({ module: 'copy', name: `copy on ${state}`, setup, args: { dest: 'D/f', content: 'hello\n' } });
  }

  // A directory as src (test.before writes tree/ beside the playbook and the runbook).
  const treeStates = {
    missing: ':',
    'an older copy': "mkdir -p f/sub; printf 'old' > f/a; printf 'mine' > f/extra; chmod 700 f/sub",
    'a file': file('x'),
  };
  for (const [state, setup] of Object.entries(treeStates)) {
    for (const [what, args] of [
      ['a directory\'s contents', { src: 'tree/' }],
      ['a directory itself', { src: 'tree' }],
      ['a directory with directory_mode', { src: 'tree/', directory_mode: '0750' }],
      ['a directory with a mode for its files', { src: 'tree', mode: '0600' }],
    ] as Array<[string, Record<string, unknown>]>) {
      cases.push({ module: 'copy', name: `copy ${what} on ${state}`, setup, args: { dest: 'D/f', ...args } });
    }
  }

  const rendered: Record<string, string> = { 'hello.j2': 'hello world\n', 'loop.j2': 'a\nb\n', 'cond.j2': 'yes\n' };
  for (const tpl of Object.keys(rendered)) {
    for (const [state, setup] of Object.entries({ missing: ':', 'the same': file(rendered[tpl]), 'other content': file('old\n') })) {
      for (const mode of [undefined, '0640']) {
        cases.push({ module: 'template', name: `template ${tpl}${mode ? ` mode ${mode}` : ''} on ${state}`, setup, args: { src: tpl, dest: 'D/f', ...(mode ? { mode } : {}) } });
      }
    }
  }
  return cases.map((c) => ({ ...c, differs: DIFFERS[c.name] }));
}

/** The differences the README states, by case name. */
const DIFFERS: Record<string, Case['differs']> = {
  'blockinfile an empty block on missing': { why: 'no block wanted in a missing file: nothing to do (Ansible fails; its own lineinfile state: absent does the same as ours)', outcomes: ['ok', 'ok'] },
  'blockinfile absent on missing': { why: 'no block wanted in a missing file: nothing to do (Ansible fails; its own lineinfile state: absent does the same as ours)', outcomes: ['ok', 'ok'] },
  'copy a directory with directory_mode on an older copy': {
    why: "directory_mode sets the mode of the directories the copy creates, as Ansible's documentation says; ansible-core 2.14 also changes the existing ones below dest",
    tree: true,
  },
  'copy on a link to a file': { why: 'a link at dest is followed unless follow: false (editing /etc/resolv.conf keeps the link); Ansible replaces it', tree: true },
  'copy on a dangling link': { why: 'a link at dest is followed unless follow: false: the file is made where it leads; Ansible replaces the link', tree: true },
  'file no state, a mode on a dangling link': { why: 'a mode with a link is refused: it would change the file linked to (the file row of the README table)', outcomes: ['failed', 'failed'] },
};

const TEMPLATES: Record<string, string> = {
  'hello.j2': 'hello {{ name }}\n',
  'loop.j2': '{% for s in servers %}\n{{ s }}\n{% endfor %}\n',
  'cond.j2': '{% if flag %}yes{% else %}no{% endif %}\n',
};

const CASES = generate();
let dir: string;

const caseDir = (tool: string, i: number) => join(dir, tool, `case${i}`);

function taskText(c: Case, i: number, tool: string): string {
  const args = JSON.parse(JSON.stringify(c.args).replaceAll('D/', `${caseDir(tool, i)}/`)) as Record<string, unknown>;
  if (c.module === 'template' && tool === 'runbook') args['src'] = `templates/${String(args['src']).replace(/\.j2$/, '.hbs')}`;
  return `  - name: "case ${i}: ${c.name}"\n    ignore_errors: true\n    ${c.module}: ${JSON.stringify(args)}\n`;
}

const VARS = 'name: world\n  servers: [a, b]\n  flag: true';

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-ansible-differential-'));
  mkdirSync(join(dir, 'runbooks', 'templates'), { recursive: true });
  mkdirSync(join(dir, 'templates'));
  for (const [name, text] of Object.entries(TEMPLATES)) {
    writeFileSync(join(dir, 'templates', name), text);
    writeFileSync(join(dir, 'runbooks', 'templates', name.replace(/\.j2$/, '.hbs')), translateText(text, { file: true }).text);
  }
  for (const at of [dir, join(dir, 'runbooks')]) {
    mkdirSync(join(at, 'tree', 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(at, 'tree', 'a'), 'a\n');
    writeFileSync(join(at, 'tree', 'sub', 'b'), 'b\n');
  }
  for (const tool of ['runbook', 'ansible']) {
    CASES.forEach((c, i) => {
      mkdirSync(caseDir(tool, i), { recursive: true });
      execFileSync('sh', ['-c', c.setup], { cwd: caseDir(tool, i) });
    });
  }
  writeFileSync(join(dir, 'runbooks', 'cases.yaml'), `name: cases\nvars:\n  ${VARS}\nsteps:\n${CASES.map((c, i) => taskText(c, i, 'runbook')).join('')}`);
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    ${VARS.replaceAll('\n  ', '\n    ')}\n  tasks:\n${CASES.map((c, i) => taskText(c, i, 'ansible')).join('')}`);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(`${CASES.length} generated cases in both tools: the same outcomes on two runs and the same trees, but for the differences stated`, async () => {
  const ansible = () => exec('ansible-playbook', ['-i', 'localhost,', 'playbook.yml'], dir, { ANSIBLE_NOCOLOR: '1' });
  const ours = () => runbook(['play', 'cases'], dir);
  const runs: Array<{ ansible: Outcome[]; ours: Outcome[] }> = [];
  for (let pass = 0; pass < 2; pass++) {
    const [a, r] = await Promise.all([ansible(), ours()]);
    assert.ok(r.stdout.includes('case 0: '), r.stdout + r.stderr);
    assert.ok(a.stdout.includes('TASK [case 0: '), a.stdout + a.stderr);
    runs.push({ ansible: ansibleOutcomes(a.stdout, CASES.length), ours: ourOutcomes(r.stdout, CASES.length) });
  }
  const report: string[] = [];
  CASES.forEach((c, i) => {
    const theirs = [runs[0].ansible[i], runs[1].ansible[i]].join(', ');
    const ours = [runs[0].ours[i], runs[1].ours[i]].join(', ');
    const want = c.differs?.outcomes?.join(', ') ?? theirs;
    if (ours !== want) report.push(`case ${i} (${c.name}): runbook ${ours}, Ansible ${theirs}${c.differs ? `, expected ${want}: ${c.differs.why}` : ''}`);
    const [t1, t2] = [tree(caseDir('runbook', i)), tree(caseDir('ansible', i))];
    const same = t1.join('\n') === t2.join('\n');
    if (!same && !c.differs?.tree) report.push(`case ${i} (${c.name}): trees differ\n  runbook: ${t1.join(' | ')}\n  ansible: ${t2.join(' | ')}`);
    if (same && c.differs?.tree) report.push(`case ${i} (${c.name}): the trees are the same, but the case says they differ: ${c.differs.why}`);
  });
  assert.equal(report, []);
});

test.run();
