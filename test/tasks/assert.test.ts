import { test } from 'uvu';
import * as assert from 'uvu/assert';
import assertTask from '../../tasks/assert.js';
import fail from '../../tasks/fail.js';
import { check } from '../helpers/task-harness.js';

const error = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);

test('assert: in sync when every condition holds, in --check too; else fails naming the first false one', async () => {
  const ok = await check(assertTask, { that: [true, true] }, { checkMode: true });
  assert.equal([ok.inSync, ok.summary], [true, 'All assertions passed']);
  assert.is(await error(check(assertTask, { that: [true, false, false] })), 'assertion 2 of 3 is false (that[1])');
  assert.is(await error(check(assertTask, { that: false, fail_msg: 'heap too large' })), 'heap too large');
});

test('assert: a condition that is no boolean (a bare expression) is refused with what to write', () => {
  const parsed = assertTask.args.safeParse({ that: ['a == 1'] });
  assert.is(parsed.success, false);
  assert.match(JSON.stringify(parsed.error?.issues), /expected a template that gives true or false/);
});

test('fail: fails with its message, in --check too', async () => {
  assert.is(await error(check(fail, { msg: 'not translated: set_fact at site.yml:12' }, { checkMode: true })), 'not translated: set_fact at site.yml:12');
  assert.is(await error(check(fail, {})), 'Failed as requested from task');
});

test.run();
