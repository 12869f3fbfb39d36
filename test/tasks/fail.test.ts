// fail: the step fails on its hosts with the message, in --check too, and changes nothing.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fail from '../../tasks/fail.js';
import { caught } from '../helpers/caught.js';
import { check } from '../helpers/task-harness.js';

test('fails with the message given, or Ansible\'s default; --check fails the same way', async () => {
  assert.match((await caught(check(fail, { msg: 'every ZooKeeper member needs a myid host var' }))).message, /^every ZooKeeper member needs a myid host var$/);
  assert.match((await caught(check(fail, {}, { checkMode: true }))).message, /^Failed as requested from task$/);
});

test('an empty message is refused: the step would fail saying nothing', () => {
  assert.not.ok(fail.args.safeParse({ msg: '' }).success);
});

test.run();
