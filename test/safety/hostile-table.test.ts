// The hostile-input table: for each task family that touches paths, the inputs that have hurt
// tools like this one. A row names the family, the input and what must hold; add rows as new
// families or new tricks appear. Real files, a real second account, the real tasks.

import { chmodSync, existsSync, lchownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TaskDefinition } from '../../src/task/types.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import blockinfile from '../../tasks/blockinfile.js';
import copy from '../../tasks/copy.js';
import file from '../../tasks/file.js';
import lineinfile from '../../tasks/lineinfile.js';
import symlink from '../../tasks/symlink.js';
import template from '../../tasks/template.js';
import { createAccount, type Account } from '../helpers/account.js';
import { caught } from '../helpers/caught.js';
import { cleanup, context, converge, tempDir } from '../helpers/task-harness.js';
import { runCheck } from '../../src/task/check.js';

let other: Account;
let root = '';

test.before(() => {
  root = tempDir('runbook-hostile-table-');
  chmodSync(root, 0o755);
  other = createAccount('rbsafe_table', `${root}/home`);
});
test.after(() => {
  other.remove();
  cleanup();
});

type Outcome = { refused: RegExp } | { holds: (d: string) => void };
interface Row {
  family: string;
  input: string;
  task: TaskDefinition;
  /** Prepares the directory `d` (inside the other account's home) and returns the task's args. */
  setup: (d: string) => Record<string, unknown>;
  /** Run as the other account instead of root (for unreadable files). */
  asOther?: boolean;
  outcome: Outcome;
}

const VICTIM = 'root:secret\n';
const latin1 = Buffer.from('name=caf\xe9\n', 'latin1');
/** A root-owned file outside the account's reach, and a link to it that the account planted. */
function plantedLink(d: string, name: string): string {
  writeFileSync(`${d}/victim`, VICTIM, { mode: 0o600 });
  symlinkSync(`${d}/victim`, `${d}/${name}`);
  lchownSync(`${d}/${name}`, other.uid, other.uid);
  return `${d}/${name}`;
}
const victimUntouched = (d: string) => {
  assert.is(readFileSync(`${d}/victim`, 'utf8'), VICTIM);
  assert.is(statSync(`${d}/victim`).uid, 0);
  assert.is(statSync(`${d}/victim`).mode & 0o777, 0o600);
};
const tpl = (d: string) => (writeFileSync(`${d}/t.hbs`, 'x={{x}}\n'), `${d}/t.hbs`);

const rows: Row[] = [
  // A link the other account controls, followed into a file it does not own: refused.
  { family: 'copy', input: 'link by another user', task: copy, setup: (d) => ({ dest: plantedLink(d, 'c.conf'), content: 'x\n' }), outcome: { refused: /refusing to follow the link/ } },
  { family: 'template', input: 'link by another user', task: template, setup: (d) => ({ src: tpl(d), dest: plantedLink(d, 't.conf') }), outcome: { refused: /refusing to follow the link/ } },
  { family: 'lineinfile', input: 'link by another user', task: lineinfile, setup: (d) => ({ path: plantedLink(d, 'l.conf'), line: 'x' }), outcome: { refused: /refusing to follow the link/ } },
  { family: 'blockinfile', input: 'link by another user', task: blockinfile, setup: (d) => ({ path: plantedLink(d, 'b.conf'), block: 'x' }), outcome: { refused: /refusing to follow the link/ } },
  { family: 'file attrs', input: 'link by another user', task: file, setup: (d) => ({ path: plantedLink(d, 'f.conf'), mode: '0644', owner: other.name }), outcome: { refused: /refusing to follow the link/ } },
  // Acting on the link itself (never through it) is fine: the victim stays as it was.
  { family: 'file absent', input: 'link by another user', task: file, setup: (d) => ({ path: `${plantedLink(d, 'a.conf')}/`, state: 'absent' }), outcome: { holds: victimUntouched } },
  { family: 'symlink', input: 'link by another user', task: symlink, setup: (d) => ({ src: '/etc/hostname', dest: plantedLink(d, 's.conf'), force: true }), outcome: { holds: victimUntouched } },
  // Leading dashes are names, not options.
  { family: 'copy', input: 'leading dash', task: copy, setup: (d) => ({ dest: `${d}/-rf`, content: 'x\n', mode: '0600' }), outcome: { holds: (d) => assert.is(readFileSync(`${d}/-rf`, 'utf8'), 'x\n') } },
  { family: 'file', input: 'leading dash', task: file, setup: (d) => ({ path: `${d}/--help`, state: 'directory', mode: '0700' }), outcome: { holds: (d) => assert.ok(statSync(`${d}/--help`).isDirectory()) } },
  // Bytes that are not UTF-8, and CRLF lines, survive an edit.
  { family: 'lineinfile', input: 'non-UTF-8 bytes', task: lineinfile, setup: (d) => (writeFileSync(`${d}/n.conf`, latin1), { path: `${d}/n.conf`, line: 'port=1' }), outcome: { holds: (d) => assert.equal(readFileSync(`${d}/n.conf`), Buffer.concat([latin1, Buffer.from('port=1\n')])) } },
  { family: 'blockinfile', input: 'CRLF lines', task: blockinfile, setup: (d) => (writeFileSync(`${d}/w.ini`, 'a=1\r\n'), { path: `${d}/w.ini`, block: 'b=2' }), outcome: { holds: (d) => assert.not.match(readFileSync(`${d}/w.ini`, 'utf8').replaceAll('\r\n', ''), /\n/) } },
  { family: 'copy', input: 'non-UTF-8 bytes replaced', task: copy, setup: (d) => (writeFileSync(`${d}/bin`, latin1), { dest: `${d}/bin`, content: 'new\n' }), outcome: { holds: (d) => assert.is(readFileSync(`${d}/bin`, 'utf8'), 'new\n') } },
  // A file the step's user cannot read is an error, never empty.
  { family: 'lineinfile', input: 'unreadable file', task: lineinfile, asOther: true, setup: (d) => (writeFileSync(`${d}/u.conf`, 'token=1\n', { mode: 0o600 }), { path: `${d}/u.conf`, line: 'x' }), outcome: { refused: /cannot read .*permission denied/ } },
  { family: 'blockinfile', input: 'unreadable file', task: blockinfile, asOther: true, setup: (d) => (writeFileSync(`${d}/v.conf`, 'token=1\n', { mode: 0o600 }), { path: `${d}/v.conf`, block: 'x' }), outcome: { refused: /cannot read .*permission denied/ } },
];

rows.forEach((row, i) => {
  test(`${row.family}: ${row.input}`, async () => {
    const d = `${other.home}/case${i}`;
    mkdirSync(d);
    chmodSync(d, 0o777);
    lchownSync(d, other.uid, other.uid);
    const args = row.setup(d);
    const run = row.asOther
      ? runCheck(row.task, { ...context(row.task, args, { vars: { x: 1 } }), shell: new HostShell(new LocalTransport('local'), 'root', { user: other.name }) })
      : converge(row.task, args, { vars: { x: 1 } });
    if ('refused' in row.outcome) {
      assert.match((await caught(run)).message, row.outcome.refused);
      if (existsSync(`${d}/victim`)) victimUntouched(d);
    } else {
      await run;
      row.outcome.holds(d);
    }
  });
});

test.run();
