// Safety (medium): line edits keep every byte they do not change (non-UTF-8, CRLF), and a file the
// step's user cannot read is an error, never "empty" (an edit would replace it, its undo empty it).

import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import blockinfile from '../../tasks/blockinfile.js';
import lineinfile from '../../tasks/lineinfile.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import { caught } from '../helpers/caught.js';
import { cleanup, context, converge, lifecycle, tempDir } from '../helpers/task-harness.js';
import { runCheck } from '../../src/task/check.js';

const USER = 'rbsafe_files';
test.before(() => void execFileSync('useradd', ['--system', '--no-create-home', USER]));
test.after(() => {
  execFileSync('userdel', [USER]);
  cleanup();
});

const latin1 = Buffer.from('name=caf\xe9\nport=1\n', 'latin1'); // é as one ISO-8859-1 byte: not UTF-8

test('lineinfile keeps non-UTF-8 bytes of lines it does not change, and undo restores them', async () => {
  const d = tempDir();
  writeFileSync(`${d}/app.conf`, latin1);
  await lifecycle(lineinfile, { path: `${d}/app.conf`, regexp: '^port=', line: 'port=2' }, { root: d });
  await converge(lineinfile, { path: `${d}/app.conf`, regexp: '^port=', line: 'port=2' });
  assert.equal(readFileSync(`${d}/app.conf`), Buffer.from('name=caf\xe9\nport=2\n', 'latin1'));
});

test('blockinfile keeps non-UTF-8 bytes around its block', async () => {
  const d = tempDir();
  writeFileSync(`${d}/app.conf`, latin1);
  await converge(blockinfile, { path: `${d}/app.conf`, block: 'x=1' });
  const bytes = readFileSync(`${d}/app.conf`);
  assert.ok(bytes.subarray(0, latin1.length).equals(latin1), bytes.toString('latin1'));
});

test('CRLF files: an existing line is found (no duplicate), new lines end in CRLF too', async () => {
  const d = tempDir();
  writeFileSync(`${d}/win.ini`, 'a=1\r\nb=2\r\n');
  const again = await converge(lineinfile, { path: `${d}/win.ini`, line: 'b=2' });
  assert.ok(again.check.inSync, 'b=2 is there already');
  await converge(lineinfile, { path: `${d}/win.ini`, line: 'c=3' });
  assert.is(readFileSync(`${d}/win.ini`, 'utf8'), 'a=1\r\nb=2\r\nc=3\r\n');
});

test('a file the step user cannot read is an error, and nothing is written', async () => {
  const d = tempDir();
  chmodSync(d, 0o777);
  writeFileSync(`${d}/secret.conf`, 'token=abc\n', { mode: 0o600 });
  const asUser = new HostShell(new LocalTransport('local'), 'root', { user: USER });
  const ctx = { ...context(lineinfile, { path: `${d}/secret.conf`, line: 'x=1' }), shell: asUser };
  assert.match((await caught(runCheck(lineinfile, ctx))).message, /cannot read .*secret\.conf: permission denied/);
  assert.is(readFileSync(`${d}/secret.conf`, 'utf8'), 'token=abc\n');
});

test.run();
