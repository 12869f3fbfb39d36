// Ansible's ways of giving a task its arguments (src/load/task-args.ts), case by case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ArgsTextError, taskArgs } from '../../src/load/task-args.js';
import type { TaskDefinition } from '../../src/task/types.js';

const task = (extra: Partial<TaskDefinition> = {}): TaskDefinition =>
  ({ name: 't', description: '', doc: '', args: z.object({ path: z.string(), line: z.string().optional(), create: z.boolean().optional() }).strict(), check: async () => ({ inSync: true }), apply: async () => {}, ...extra }) as TaskDefinition;
const shell = task({ name: 'shell', args: z.object({ cmd: z.string() }).passthrough(), freeForm: { arg: 'cmd', inline: ['creates', 'removes', 'chdir', 'stdin'] } });

test('free-form text: inline options taken out, the command kept byte for byte', () => {
  assert.equal(taskArgs(shell, `echo "a  b" | tr a b > /x creates=/x chdir="/srv/my app"`, undefined), { creates: '/x', chdir: '/srv/my app', cmd: 'echo "a  b" | tr a b > /x' });
  assert.equal(taskArgs(shell, 'creates=/x touch /x', undefined), { creates: '/x', cmd: 'touch /x' });
  // Only Ansible's inline options: other key=value words are the command's own.
  assert.equal(taskArgs(shell, 'env FOO=1 make', undefined), { cmd: 'env FOO=1 make' });
  // An odd quote: no options to take out, all command.
  assert.equal(taskArgs(shell, "# don't\necho hi creates=/x\n", undefined), { cmd: "# don't\necho hi creates=/x" });
  // A lone template is the command too.
  assert.equal(taskArgs(shell, '{{ script }}', undefined), { cmd: '{{ script }}' });
});

test('key=value words: quotes group and stay text, templates are one word, yes/no are booleans', () => {
  assert.equal(taskArgs(task(), 'path=/etc/a.conf line="listen = {{ port }}" create=yes', undefined), { path: '/etc/a.conf', line: 'listen = {{ port }}', create: true });
  assert.equal(taskArgs(task(), 'path={{ dir }}/x line="no"', undefined), { path: '{{ dir }}/x', line: 'no' });
  assert.throws(() => taskArgs(task(), 'path=/x oops', undefined), (e: unknown) => e instanceof ArgsTextError && /"oops" is none/.test((e as Error).message));
  // A lone template stands for the whole mapping; nothing is no arguments.
  assert.is(taskArgs(task(), '{{ file_args }}', undefined), '{{ file_args }}');
  assert.equal(taskArgs(task(), null, undefined), {});
});

test('args: is below the arguments under the task name, as in Ansible', () => {
  assert.equal(taskArgs(task(), { path: '/a' }, { path: '/b', create: true }), { path: '/a', create: true });
  assert.equal(taskArgs(shell, 'make', { chdir: '/src', creates: '/src/out' }), { chdir: '/src', creates: '/src/out', cmd: 'make' });
  assert.equal(taskArgs(shell, 'make creates=/o', { creates: '/x' }), { creates: '/o', cmd: 'make' });
});

test.run();
