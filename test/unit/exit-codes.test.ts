// One exit-code table: the help text is made from it, and a user error exits by its kind.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT, exitCodesHelp } from '../../src/engine/exit-codes.js';
import { exitCodeOf } from '../../src/cli/action.js';

test('the help lists every code of the table, in order', () => {
  const lines = exitCodesHelp().split('\n');
  assert.is(lines[0], 'Exit codes:');
  assert.equal(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0])), Object.values(EXIT));
  assert.match(exitCodesHelp(), /^ {2}99 {3}interrupted \(Ctrl-C, SIGTERM, SIGHUP\): in-flight steps finished; `runbook resume` goes on$/m);
});

test("a command's help: its own codes from the table, in the order given, in its own words where they differ", () => {
  assert.is(
    exitCodesHelp(['ok', ['failed', 'an undo failed'], 'interrupted']),
    'Exit codes:\n  0    every host ok\n  2    an undo failed\n  99   interrupted (Ctrl-C, SIGTERM, SIGHUP): in-flight steps finished; `runbook resume` goes on',
  );
});

test('a user error exits by its kind: unreachable 4, interrupted 99, anything else bad input', () => {
  assert.is(exitCodeOf('unreachable'), 4);
  assert.is(exitCodeOf('interrupted'), 99);
  for (const kind of ['yaml', 'vars', 'host-key', 'locked', 'task'] as const) assert.is(exitCodeOf(kind), EXIT.badInput, kind);
});

test.run();
