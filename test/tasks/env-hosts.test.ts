import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import env, { editExports } from '../../tasks/env.js';
import hostsEntry, { editHosts } from '../../tasks/hosts_entry.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

const USER = 'rbtest_env';
let home = '';
test.before(() => {
  home = tempDir('runbook-home-');
  execFileSync('rm', ['-rf', home]);
  execFileSync('useradd', ['--system', '--home-dir', home, '--create-home', '--shell', '/bin/sh', USER]);
});
test.after(() => {
  execFileSync('userdel', [USER]);
  cleanup();
});

function sourced(file: string, name: string, prelude = ''): string {
  return execFileSync('sh', ['-c', `${prelude}. "$1"; printf '%s' "$${name}"`, 'sh', file], { encoding: 'utf8', env: {} });
}

test("env: the manual's variables land in the user's .bashrc, owned by the user, and source correctly", async () => {
  writeFileSync(`${home}/.bashrc`, '# existing\nexport KAFKA_HOME=/old\n');
  execFileSync('chown', [USER, `${home}/.bashrc`]);
  const args = {
    user: USER,
    expand: true,
    vars: { KAFKA_HOME: '/opt/kafka', KAFKA_CONF_DIR: '$KAFKA_HOME/config', KAFKA_HEAP_OPTS: '-Xmx512m -Xms512m' },
  };
  const run = await lifecycle(env, args, { root: home });
  assert.match(run.check.summary ?? '', /update .*\.bashrc/);
  await converge(env, args);
  const text = readFileSync(`${home}/.bashrc`, 'utf8');
  assert.is(text, '# existing\nexport KAFKA_HOME="/opt/kafka"\nexport KAFKA_CONF_DIR="$KAFKA_HOME/config"\nexport KAFKA_HEAP_OPTS="-Xmx512m -Xms512m"\n');
  assert.is(sourced(`${home}/.bashrc`, 'KAFKA_HEAP_OPTS'), '-Xmx512m -Xms512m');
  assert.is(sourced(`${home}/.bashrc`, 'KAFKA_CONF_DIR'), '/opt/kafka/config');
  assert.is(statSync(`${home}/.bashrc`).uid, Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' })));
});

test('env: a new .bashrc is created for the user; undo removes it', async () => {
  execFileSync('rm', ['-f', `${home}/.bashrc`]);
  const run = await lifecycle(env, { user: USER, name: 'ZOOKEEPER', value: `${home}/zookeeper` }, { root: home });
  assert.match(run.check.summary ?? '', /create /);
});

test('env: replaces one export line and drops duplicates; literal values stay literal', () => {
  const a = env.args.parse({ file: 'x', name: 'A', value: '$HOME' });
  assert.is(editExports('export A=1\nfoo\nexport A=2\n', a), "export A='$HOME'\nfoo\n");
  assert.is(editExports("export A='$HOME'", a), "export A='$HOME'", 'unchanged text is returned as is');
  assert.throws(() => env.args.parse({ file: 'x', name: 'A', value: 'a\nb' }), /newline/);
  assert.throws(() => env.args.parse({ file: 'x', name: 'A-B', value: 'v' }), /variable name/);
  assert.throws(() => env.args.parse({ file: '../x', name: 'A', value: 'v' }), /profile\.d/);
  assert.throws(() => env.args.parse({ name: 'A', value: 'v' }), /user or file/);
});

test('env: hostile values never execute, literal or expanded, and read back as written', async () => {
  const canary = `${home}/CANARY`;
  for (const expand of [false, true]) {
    for (const raw of hostileValues(canary)) {
      const value = raw.replace(/\n/g, ' ');
      await converge(env, { user: USER, name: 'HOSTILE', value, expand });
      const got = sourced(`${home}/.bashrc`, 'HOSTILE');
      if (!expand || !value.includes('$')) assert.is(got, value);
    }
  }
  assert.not.ok(existsSync(canary), 'a hostile value was executed when the file was sourced');
  // Only $NAME and ${NAME} expand; forms bash can run commands from are refused at plan time.
  for (const value of ['${HOME:-$(touch ' + canary + ')}', '${PS1@P}', '${a[$(touch ' + canary + ')]}', '${!X}']) {
    assert.throws(() => env.args.parse({ user: USER, name: 'X', value, expand: true }), /only as \$NAME or \$\{NAME\}/);
  }
  await converge(env, { user: USER, name: 'X', value: '$HOME/a:${HOME}/b $(touch ' + canary + ') `touch ' + canary + '`', expand: true });
  assert.is(sourced(`${home}/.bashrc`, 'X', 'HOME=/h; '), `/h/a:/h/b $(touch ${canary}) \`touch ${canary}\``);
  assert.not.ok(existsSync(canary));
});

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
