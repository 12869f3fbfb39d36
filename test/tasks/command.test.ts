import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import command from '../../tasks/command.js';
import shellTask from '../../tasks/shell.js';
import { splitWords } from '../../src/sdk/command.js';
import { check, cleanup, context, hostileValues, tempDir } from '../helpers/task-harness.js';
import { runCheck } from '../../src/task/check.js';

test.after(cleanup);

test('splitWords: quotes group, backslash escapes, nothing expands', () => {
  const table: Array<[string, string[]]> = [
    ['a b  c', ['a', 'b', 'c']],
    [`echo 'a b' "c d"`, ['echo', 'a b', 'c d']],
    [`x"y z"'w'`, ['xy zw']],
    [`a\\ b`, ['a b']],
    [`"say \\"hi\\" \\\\"`, ['say "hi" \\']],
    [`$(touch x) \`y\` ; | *`, ['$(touch', 'x)', '`y`', ';', '|', '*']],
    [`''`, ['']],
  ];
  for (const [input, words] of table) assert.equal(splitWords(input), words, input);
  assert.throws(() => command.args.parse({ cmd: `echo 'open` }), /unclosed quote/);
});

test('command: runs argv without a shell, with chdir, env, stdin; register data', async () => {
  const dir = tempDir();
  const ctx = context(command, { cmd: `sh -c 'pwd; printf "%s|" "$GREETING"; cat'`, chdir: dir, env: { GREETING: 'hi there' }, stdin: 'from stdin' });
  const c = await runCheck(command, ctx);
  assert.is(c.inSync, false);
  assert.ok(c.unknowableInCheck);
  const r = await command.apply(ctx, undefined);
  assert.equal(r && r.data, { rc: 0, stdout: `${dir}\nhi there|from stdin`, stderr: '', stdout_lines: [dir, 'hi there|from stdin'], stderr_lines: [] });
});

test('command: numbers and booleans in argv and env (a templated "{{port}}") arrive as text', async () => {
  const ctx = context(command, { argv: ['printf', '%s %s|', 9092, true], env: { PORT: 2181 } });
  const r = await command.apply(ctx, undefined);
  assert.is(r && r.data && r.data.stdout, '9092 true|');
  const withEnv = await command.apply(context(command, { cmd: `sh -c 'printf %s "$PORT"'`, env: { PORT: 2181 } }), undefined);
  assert.is(withEnv && withEnv.data && withEnv.data.stdout, '2181');
});

test('command: a non-zero exit fails with rc/stdout/stderr on the error', async () => {
  const ctx = context(command, { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  const err = await command.apply(ctx, undefined).catch((e) => e);
  assert.is(err.code, 3);
  assert.is(err.stdout, 'out\n');
  assert.match(err.message, /exit code 3: err/);
});

test('command/shell: creates, removes and unless guards decide, also in --check', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/done`, '');
  const table: Array<[Record<string, unknown>, boolean, RegExp]> = [
    [{ creates: `${dir}/done` }, true, /exists/],
    [{ creates: 'done', chdir: dir }, true, /exists/],
    [{ creates: `${dir}/missing` }, false, /^run /],
    [{ removes: `${dir}/missing` }, true, /does not exist/],
    [{ removes: `${dir}/done` }, false, /^run /],
    [{ unless: `test -e ${dir}/done` }, true, /unless/],
    [{ unless: 'test "$MARK" = yes', env: { MARK: 'yes' } }, true, /unless/],
    [{ unless: 'false' }, false, /^run /],
  ];
  for (const [guards, inSync, summary] of table) {
    for (const task of [command, shellTask] as const) {
      const r = await check(task as typeof command, { cmd: `touch ${dir}/ran`, ...guards }, { checkMode: true });
      assert.is(r.inSync, inSync, JSON.stringify(guards));
      assert.is(r.unknowableInCheck, undefined);
      assert.match(r.summary ?? '', summary);
    }
  }
  assert.not.ok(existsSync(`${dir}/ran`), 'check ran the command');
});

test('command: hostile words and guard paths never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const v of hostileValues(canary)) {
    const ctx = context(command, { argv: ['printf', '%s', v], creates: `${dir}/${v}`, removes: v, chdir: dir, env: { V: v }, stdin: v });
    const c = await runCheck(command, ctx);
    assert.is(c.inSync, true, 'removes: a relative path that does not exist');
    const r = await command.apply(context(command, { argv: ['printf', '%s', v], chdir: dir, env: { V: v } }), undefined);
    assert.is(r && r.data?.stdout, v.replace(/[\r\n]+$/, ''));
  }
  assert.not.ok(existsSync(canary));
});

test.run();
