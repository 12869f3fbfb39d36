// hosts_entry: a line of /etc/hosts for an address and its names, as the manual writes them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import hostsEntry, { editHosts } from '../../tasks/hosts_entry.js';
import { check, cleanup, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

test.after(() => cleanup());

const hostsBase = '127.0.0.1\tlocalhost\n127.0.1.1\tkafka01.example kafka01\n# The following lines are desirable for IPv6\n::1 localhost ip6-localhost\n';
const hostsTable: Array<[string, string, Record<string, unknown>, string | null]> = [
  ["replaces Debian's 127.0.1.1 self line", hostsBase, { address: '10.0.0.11', names: ['kafka01.example', 'kafka01'] },
    '127.0.0.1\tlocalhost\n10.0.0.11 kafka01.example kafka01\n# The following lines are desirable for IPv6\n::1 localhost ip6-localhost\n'],
  ['appends a new name', hostsBase, { address: '10.0.0.12', names: 'kafka02' }, hostsBase + '10.0.0.12 kafka02\n'],
  ['a matching line (any spacing) is in sync', '10.0.0.12   kafka02\n', { address: '10.0.0.12', names: 'kafka02' }, null],
  ['a shared line keeps its other names and comment', '127.0.0.1 localhost kafka03 # mine\n', { address: '10.0.0.13', names: 'kafka03' },
    '10.0.0.13 kafka03\n127.0.0.1 localhost # mine\n'],
  ['a duplicate line is removed', '10.0.0.12 kafka02\n10.0.0.99 kafka02\n', { address: '10.0.0.12', names: 'kafka02' }, '10.0.0.12 kafka02\n'],
];

for (const [name, before, args, after] of hostsTable) {
  test(`hosts_entry: ${name}`, async () => {
    assert.is(editHosts(before, hostsEntry.args.parse({ ...args })), after ?? before);
    const dir = tempDir();
    writeFileSync(`${dir}/hosts`, before);
    if (after === null) return assert.ok((await check(hostsEntry, { ...args, path: `${dir}/hosts` })).inSync);
    await lifecycle(hostsEntry, { ...args, path: `${dir}/hosts` }, { root: dir });
  });
}

test('hosts_entry: refuses 0.0.0.0 with a hint, and names that are not host names', () => {
  assert.throws(() => hostsEntry.args.parse({ address: '0.0.0.0', names: 'kafka01' }), /private IP/);
  assert.throws(() => hostsEntry.args.parse({ address: '10.0.0.1', names: '$(touch x)' }), /host name/);
  assert.throws(() => hostsEntry.args.parse({ address: '10.0.0.300', names: 'a' }), /IPv4/);
});

test('hosts_entry: a hostile path never executes', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, v] of hostileValues(canary).entries()) {
    const path = `${dir}/${i}${v.replace(/\//g, '_')}`;
    writeFileSync(path, '');
    await lifecycle(hostsEntry, { address: '10.0.0.1', names: 'a', path }, { root: dir });
  }
  assert.not.ok(existsSync(canary));
});

test.run();
