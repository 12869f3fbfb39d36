// A unit is restarted at most once per roll of a run: what the probe's output says about it.
// The scope here is `run-2.step`; restartScope makes one from the run id and what the roll is for.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUnitRestart, unitArg } from '../../src/sdk/restart.js';

const section = (lines: string) => `\n\0@@unit-kafka\n${lines}`;

const cases: Array<[string, string, { active: boolean; restartedInRoll: boolean }]> = [
  ['never restarted by runbook', 'active=active\ninvocation=aaa\n', { active: true, restartedInRoll: false }],
  ['restarted by an earlier run', 'active=active\ninvocation=bbb\nmarker=run-1.step aaa\n', { active: true, restartedInRoll: false }],
  ['restarted by another roll of this run (an upgrade moves, then bumps)', 'active=active\ninvocation=bbb\nmarker=run-2.other aaa\n', { active: true, restartedInRoll: false }],
  ['marker written, restart not done yet (killed in between)', 'active=active\ninvocation=aaa\nmarker=run-2.step aaa\n', { active: true, restartedInRoll: false }],
  ['restarted by this roll (a new invocation since the marker)', 'active=active\ninvocation=bbb\nmarker=run-2.step aaa\n', { active: true, restartedInRoll: true }],
  ['stopped by this roll, not started yet (killed in between)', 'active=inactive\ninvocation=\nmarker=run-2.step aaa\n', { active: false, restartedInRoll: true }],
  ['not running', 'active=inactive\ninvocation=\n', { active: false, restartedInRoll: false }],
];

for (const [name, out, want] of cases) {
  test(name, () => {
    const state = parseUnitRestart(section(out), 'kafka', 'run-2.step');
    assert.equal({ active: state.active, restartedInRoll: state.restartedInRoll }, want);
  });
}

test('a unit name is a marker file name: dots alone, slashes and a NUL are refused', () => {
  for (const ok of ['kafka', 'kafka.service', 'getty@tty1.service', '-odd.service']) assert.ok(unitArg.safeParse(ok).success, ok);
  for (const bad of ['.', '..', '...', '../x', 'a/b', 'a\0b', '']) assert.not.ok(unitArg.safeParse(bad).success, bad);
});

test.run();
