// env: export lines in a user's ~/.bashrc (the manual's KAFKA_HOME and friends).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import env, { editExports } from '../../tasks/env.js';
import { cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

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

test.run();
