// A unit is restarted at most once per run: what the probe's output says about it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUnitRestart, unitArg } from '../../src/sdk/restart.js';

const section = (lines: string) => `\n\0@@unit-kafka\n${lines}`;

const cases: Array<[string, string, { active: boolean; restartedThisRun: boolean }]> = [
  ['never restarted by runbook', 'active=active\ninvocation=aaa\n', { active: true, restartedThisRun: false }],
  ['restarted by an earlier run', 'active=active\ninvocation=bbb\nmarker=run-1 aaa\n', { active: true, restartedThisRun: false }],
  ['marker written, restart not done yet (killed in between)', 'active=active\ninvocation=aaa\nmarker=run-2 aaa\n', { active: true, restartedThisRun: false }],
  ['restarted by this run (a new invocation since the marker)', 'active=active\ninvocation=bbb\nmarker=run-2 aaa\n', { active: true, restartedThisRun: true }],
  ['not running', 'active=inactive\ninvocation=\n', { active: false, restartedThisRun: false }],
];

for (const [name, out, want] of cases) {
  test(name, () => {
    const state = parseUnitRestart(section(out), 'kafka', 'run-2');
    assert.equal({ active: state.active, restartedThisRun: state.restartedThisRun }, want);
  });
}

test('a unit name is a marker file name: dots alone, slashes and a NUL are refused', () => {
  for (const ok of ['kafka', 'kafka.service', 'getty@tty1.service', '-odd.service']) assert.ok(unitArg.safeParse(ok).success, ok);
  for (const bad of ['.', '..', '...', '../x', 'a/b', 'a\0b', '']) assert.not.ok(unitArg.safeParse(bad).success, bad);
});

test.run();
