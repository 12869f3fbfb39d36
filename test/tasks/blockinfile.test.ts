import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import blockinfile, { editBlock } from '../../tasks/blockinfile.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';
import { caught } from '../helpers/caught.js';
import { exec } from '../helpers/exec.js';

test.after(cleanup);

// Ansible's default markers: blocks Ansible wrote are found.
const B = '# BEGIN ANSIBLE MANAGED BLOCK';
const E = '# END ANSIBLE MANAGED BLOCK';
const OLD_B = '# BEGIN RUNBOOK MANAGED BLOCK';
const OLD_E = '# END RUNBOOK MANAGED BLOCK';
const table: Array<[string, string | null, Record<string, unknown>, string | null]> = [
  ['adds a block at EOF', 'x\n', { block: 'a\nb\n' }, `x\n${B}\na\nb\n${E}\n`],
  ['an identical block is left alone', `x\n${B}\na\n${E}\ny\n`, { block: 'a' }, null],
  ['replaces the block between the markers', `x\n${B}\nold\n${E}\ny\n`, { block: 'new1\nnew2' }, `x\n${B}\nnew1\nnew2\n${E}\ny\n`],
  ['insertbefore BOF', 'x\n', { block: 'a', insertbefore: 'BOF' }, `${B}\na\n${E}\nx\n`],
  ['insertafter a regexp', 'x\ny\n', { block: 'a', insertafter: '^x' }, `x\n${B}\na\n${E}\ny\n`],
  ['custom marker', 'x\n', { block: 'a', marker: '// {mark} ours', marker_begin: 'start', marker_end: 'stop' }, 'x\n// start ours\na\n// stop ours\n'],
  ['absent removes the block', `x\n${B}\na\n${E}\ny\n`, { state: 'absent' }, 'x\ny\n'],
  ['an empty block removes it too', `${B}\na\n${E}\n`, { block: '' }, ''],
  ['create makes the file', null, { block: 'a', create: true }, `${B}\na\n${E}\n`],
  // Half a block left by a hand edit: a new block is added, the stray marker and every line kept;
  // the next run finds the new block (the last markers), never the lines after the stray one.
  ['a lone BEGIN: a new block, nothing lost', `${B}\nuser line\n`, { block: 'a' }, `${B}\nuser line\n${B}\na\n${E}\n`],
  ['after a lone BEGIN, the block added is the one kept', `${B}\nuser line\n${B}\nold\n${E}\n`, { block: 'a' }, `${B}\nuser line\n${B}\na\n${E}\n`],
  ['a lone END: a new block, nothing lost', `user line\n${E}\nmore\n`, { block: 'a' }, `user line\n${E}\nmore\n${B}\na\n${E}\n`],
  // A block under our former default marker is taken over, not duplicated.
  ['a block under the former default marker is replaced in place', `x\n${OLD_B}\nold\n${OLD_E}\ny\n`, { block: 'a' }, `x\n${B}\na\n${E}\ny\n`],
  ['absent removes a block under the former default marker', `x\n${OLD_B}\nold\n${OLD_E}\n`, { state: 'absent' }, 'x\n'],
];

for (const [name, before, args, after] of table) {
  test(`blockinfile: ${name}`, async () => {
    assert.is(editBlock(before, blockinfile.args.parse({ path: '/x', ...args })), after ?? before);
    const dir = tempDir();
    const path = `${dir}/f`;
    if (before !== null) writeFileSync(path, before);
    if (after === null) return assert.ok((await check(blockinfile, { path, ...args })).inSync);
    await lifecycle(blockinfile, { path, ...args }, { root: dir });
    await converge(blockinfile, { path, ...args });
    assert.is(readFileSync(path, 'utf8'), after);
  });
}

test('blockinfile: an END before the BEGIN is refused, the file untouched (Ansible deletes the lines between)', async () => {
  const dir = tempDir();
  const path = `${dir}/f`;
  const before = `x\n${E}\nuser line\n${B}\ny\n`;
  writeFileSync(path, before);
  const e = await caught(check(blockinfile, { path, block: 'a' }));
  assert.match(String(e), /the end marker \(line 2\) comes before the begin marker \(line 4\)/);
  assert.is(readFileSync(path, 'utf8'), before);
});

test('blockinfile: a block ansible-core wrote is found: no second block', async () => {
  const dir = tempDir();
  const path = `${dir}/f`;
  writeFileSync(path, 'x\n');
  const r = await exec('ansible', ['localhost', '-c', 'local', '-i', 'localhost,', '-m', 'blockinfile', '-a', `path=${path} block=one`]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  await converge(blockinfile, { path, block: 'two' });
  assert.is(readFileSync(path, 'utf8'), `x\n${B}\ntwo\n${E}\n`);
});

test('blockinfile: hostile blocks and markers never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  const values = hostileValues(canary);
  const path = `${dir}/f`;
  const block = values.join('\n');
  await lifecycle(blockinfile, { path, block, marker: `# {mark} $(touch ${canary})`, create: true }, { root: dir });
  await converge(blockinfile, { path, block, create: true });
  assert.ok(readFileSync(path, 'utf8').includes(block));
  assert.not.ok(existsSync(canary));
});

test.run();
