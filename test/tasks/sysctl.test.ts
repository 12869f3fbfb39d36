// sysctl's file side, on this machine (reload: false: the running kernel here is the CI
// machine's own); the running side is proven on lab hosts, whose net.* parameters are their own
// (test/serial/systasks-lab.test.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import sysctl, { editSysctl, procPath } from '../../tasks/sysctl.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

const base = '# tuning\nvm.swappiness = 60\nnet.core.somaxconn=4096\n';
// [name, file before (null: missing), args, file after (null: unchanged / still missing)]
const table: Array<[string, string | null, Record<string, unknown>, string | null]> = [
  ['a new name is appended', base, { name: 'vm.max_map_count', value: 262144 }, `${base}vm.max_map_count=262144\n`],
  ['a name set otherwise is replaced in place', base, { name: 'vm.swappiness', value: 1 }, '# tuning\nvm.swappiness=1\nnet.core.somaxconn=4096\n'],
  ['the same value, spaced as written, is left alone', base, { name: 'vm.swappiness', value: '60' }, null],
  ['a name on several lines ends on one, the last', 'a.b=1\nx=0\na.b = 2\n', { name: 'a.b', value: 3 }, 'x=0\na.b=3\n'],
  ['a name on several lines with the value already is made one', 'a.b=3\na.b=3\n', { name: 'a.b', value: 3 }, 'a.b=3\n'],
  ['values are compared as the kernel prints them', 'net.ipv4.ip_local_port_range = 32768\t60999\n', { name: 'net.ipv4.ip_local_port_range', value: '32768   60999' }, null],
  ['comments and other keys are kept byte for byte', '; old\n#vm.swappiness=10\nvm.swappinessx=5\n', { name: 'vm.swappiness', value: 1 }, '; old\n#vm.swappiness=10\nvm.swappinessx=5\nvm.swappiness=1\n'],
  ['a missing file is created', null, { name: 'vm.swappiness', value: 1 }, 'vm.swappiness=1\n'],
  ['absent removes every line setting it', base, { name: 'vm.swappiness', state: 'absent' }, '# tuning\nnet.core.somaxconn=4096\n'],
  ['absent on a missing file is fine', null, { name: 'vm.swappiness', state: 'absent' }, null],
];

for (const [name, before, args, after] of table) {
  test(`sysctl: ${name}`, async () => {
    const parsed = sysctl.args.parse({ ...args, reload: false });
    assert.is(editSysctl(before, parsed), after ?? before);
    const dir = tempDir();
    const path = `${dir}/60-test.conf`;
    if (before !== null) writeFileSync(path, before);
    const all = { ...args, sysctl_file: path, reload: false };
    if (after === null) {
      assert.ok((await check(sysctl, all)).inSync);
      return;
    }
    await lifecycle(sysctl, all, { root: dir });
    await converge(sysctl, all);
    assert.is(readFileSync(path, 'utf8'), after);
  });
}

test('sysctl: names map to /proc/sys; bad names and values are refused', () => {
  assert.is(procPath('vm.swappiness'), '/proc/sys/vm/swappiness');
  assert.is(procPath('net/ipv4/conf/eth0.100/forwarding'), '/proc/sys/net/ipv4/conf/eth0.100/forwarding');
  for (const bad of ['', '../etc/passwd', 'vm/../../etc', '/vm/swappiness', 'vm swappiness', 'a..b']) {
    assert.is(sysctl.args.safeParse({ name: bad, value: 1 }).success, false, bad);
  }
  assert.throws(() => sysctl.args.parse({ name: 'vm.swappiness' }), /needs value/);
  for (const v of hostileValues('/tmp/pwned')) assert.is(sysctl.args.safeParse({ name: v, value: 1 }).success, false, v);
});

test('sysctl: a parameter the kernel does not have is a clear error when the running value is asked', async () => {
  const dir = tempDir();
  const err = await check(sysctl, { name: 'vm.no_such_parameter', value: 1, sysctl_file: `${dir}/f.conf` }).catch((e) => e);
  assert.match(String(err), /no kernel parameter vm\.no_such_parameter/);
});

test.run();
