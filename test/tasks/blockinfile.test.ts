import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import blockinfile, { editBlock } from '../../tasks/blockinfile.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

const B = '# BEGIN RUNBOOK MANAGED BLOCK';
const E = '# END RUNBOOK MANAGED BLOCK';
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
