// The --confirm question's text: each host's line, the diffs, and what a typed answer means.
// Host output reaches the operator's terminal, so control characters in it are shown, not obeyed.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostPreview } from '../../src/engine/confirm.js';
import { parseAnswer, previewText } from '../../src/ui/confirm.js';

const result = (host: string, fields: Partial<HostPreview['result']>): HostPreview['result'] => ({
  type: 'host-result',
  host,
  stepId: 's',
  stepName: 'Write zoo.cfg',
  task: 'template',
  status: 'ok',
  durationMs: 0,
  ...fields,
});

test('one line per host saying what the step would do, then the diffs', () => {
  const text = previewText({
    stepId: 's',
    stepName: 'Write zoo.cfg',
    handler: false,
    hosts: [
      { result: result('zk1', { status: 'changed', summary: 'content differs', diff: [{ path: '/etc/zoo.cfg', before: 'a=1\n', after: 'a=2\n' }] }), nothingToDo: false },
      { result: result('zk2', {}), nothingToDo: true },
      { result: result('zk3', { status: 'skipped', reason: 'a command' }), nothingToDo: false },
      { result: result('zk4', { status: 'skipped', reason: 'when: false' }), nothingToDo: true },
      { result: result('zk5', { status: 'failed', error: { kind: 'task', message: 'no such file' } }), nothingToDo: false },
    ],
  });
  assert.match(text, /STEP \[Write zoo\.cfg\] would act on 3 of 5 host\(s\):/);
  assert.match(text, /would change: \[zk1\] content differs\n/);
  assert.match(text, /in sync: \[zk2\]\n/);
  assert.match(text, /would run: \[zk3\] \(a command\)\n/);
  assert.match(text, /skipping: \[zk4\] \(when: false\)\n/);
  assert.match(text, /check failed: \[zk5\] no such file\n/);
  assert.match(text, /^-a=1\n\+a=2$/m);
});

test('control characters from a host are shown escaped', () => {
  const text = previewText({
    stepId: 's',
    stepName: 'x\x1b]0;owned\x07',
    handler: true,
    hosts: [{ result: result('zk1', { status: 'failed', error: { kind: 'task', message: '\x1b[2Jgone' } }), nothingToDo: false }],
  });
  assert.not.match(text, /\x1b/);
  assert.match(text, /HANDLER \[x\\x1b\]0;owned\\x07\]/);
  assert.match(text, /\\x1b\[2Jgone/);
});

test('answers: y, n, a, q and their words, any case; anything else asks again', () => {
  assert.equal(['y', 'YES', ' n ', 'no', 'a', 'all', 'q', 'Quit'].map(parseAnswer), ['apply', 'apply', 'skip', 'skip', 'all', 'all', 'quit', 'quit']);
  assert.is(parseAnswer(''), undefined);
  assert.is(parseAnswer('maybe'), undefined);
});

test.run();
