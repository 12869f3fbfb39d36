// throttle (at most N hosts inside a step at once, handlers too) and become_user rendered per
// host, on local hosts: become really goes through sudo to a throwaway system user; abort
// listeners per host, not on one signal every host shares.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inventory, lines, play, runbook, statuses, step, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
test.before.each(async () => {
  ({ dir, cleanup } = await tempDir());
});
test.after.each(async () => {
  await cleanup();
});

const log = () => join(dir, 'log');

/** The most hosts that were between their start and end lines at the same time. */
function maxInside(logLines: string[]): number {
  let inside = 0;
  let max = 0;
  for (const line of logLines) {
    inside += line.endsWith(' start') ? 1 : -1;
    max = Math.max(max, inside);
  }
  return max;
}

const span = (name: string, more: Parameters<typeof step>[2] = {}) =>
  step('span', { path: log(), text: `{{inventory_hostname}} ${name}` }, { name, ...more });

test('throttle: 1 runs the step one host after the other; unthrottled hosts overlap', async () => {
  const p = await play({ runbook: runbook([span('free for all')]), inventory: inventory(3) });
  assert.is(p.exitCode, 0);
  assert.is(maxInside(await lines(log())), 3);

  await cleanup();
  ({ dir, cleanup } = await tempDir());
  const q = await play({ runbook: runbook([span('rolling', { throttle: 1 })]), inventory: inventory(3) });
  assert.is(q.exitCode, 0);
  const got = await lines(log());
  assert.is(got.length, 6);
  assert.is(maxInside(got), 1);
});

test('throttle: 2 of 4 hosts, on top of --forks', async () => {
  const p = await play({ runbook: runbook([span('pairs', { throttle: 2 })]), inventory: inventory(4), forks: 3 });
  assert.is(p.exitCode, 0);
  const got = await lines(log());
  assert.is(got.length, 8);
  assert.is(maxInside(got), 2);
});

test('throttle on a handler: the notified hosts restart one at a time (strategy free too)', async () => {
  for (const strategy of ['linear', 'free'] as const) {
    await cleanup();
    ({ dir, cleanup } = await tempDir());
    const rb = runbook([step('log', { path: join(dir, 'changes'), text: 'x' }, { name: 'change', notify: ['restart'] })], {
      strategy,
      handlers: [span('restart', { throttle: 1 })],
    });
    const p = await play({ runbook: rb, inventory: inventory(3) });
    assert.is(p.exitCode, 0, strategy);
    const got = await lines(log());
    assert.equal(got.filter((l) => l.endsWith(' start')).sort(), ['h1 restart start', 'h2 restart start', 'h3 restart start'], strategy);
    assert.is(maxInside(got), 1, strategy);
  }
});

test('many hosts in an exec at once add no listener to a shared signal (no MaxListenersExceededWarning)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const p = await play({ runbook: runbook([step('sleep', { seconds: 0.5 }, { name: 'sleep' })]), inventory: inventory(15), forks: 15 });
    assert.is(p.exitCode, 0);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(warnings, []);
});

const USER = 'rb-become-test';

test('become_user is rendered per host with the step vars, and commands run as that user', async () => {
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  try {
    await chmod(dir, 0o777);
    const rb = runbook([
      step('whoami', {}, { name: 'who', register: 'who', become: true, becomeUser: '{{svc_user}}', scope: { svc_user: USER } }),
      step('log', { path: `${dir}/{{inventory_hostname}}`, text: '{{who.user}}' }, { name: 'write as', become: true, becomeUser: '{{svc_user}}', scope: { svc_user: USER } }),
    ]);
    // h2's inventory var outranks the step scope: it becomes root.
    const p = await play({ runbook: rb, inventory: inventory(2, {}, { h2: { svc_user: 'root' } }) });
    assert.is(p.exitCode, 0, JSON.stringify(p.results.map((r) => r.error).filter(Boolean)));
    const who = Object.fromEntries(p.results.filter((r) => r.stepName === 'who').map((r) => [r.host, r.registered!['user']]));
    assert.equal(who, { h1: USER, h2: 'root' });
    const owner = (host: string) => execFileSync('stat', ['-c', '%U', join(dir, host)], { encoding: 'utf8' }).trim();
    assert.equal([owner('h1'), owner('h2')], [USER, 'root']);
    assert.equal(await lines(join(dir, 'h1')), [USER]);
  } finally {
    execFileSync('userdel', [USER]);
  }
});

test('a become_user naming a missing variable fails at plan time', async () => {
  const rb = runbook([step('whoami', {}, { name: 'who', become: true, becomeUser: '{{nobody_defined}}' })]);
  const err = await play({ runbook: rb, inventory: inventory(1) }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(err, 'the play planned');
  assert.match(err!.message, /nobody_defined/);
});

test('any_errors_fatal: a host failing a rolling step stops the play; the hosts after it do not start it', async () => {
  await writeFile(join(dir, 'ok-h1'), '');
  await writeFile(join(dir, 'ok-h3'), '');
  const rolling = (fatal: boolean) =>
    runbook([
      step('fail', { message: 'not back', unless: `${dir}/ok-{{inventory_hostname}}` }, { name: 'roll', throttle: 1, anyErrorsFatal: fatal }),
      span('after'),
    ]);
  const plain = await play({ runbook: rolling(false), inventory: inventory(3) });
  assert.equal([statuses(plain, 'roll'), statuses(plain, 'after')], [['h1:ok', 'h2:failed', 'h3:ok'], ['h1:changed', 'h3:changed']]);

  const fatal = await play({ runbook: rolling(true), inventory: inventory(3) });
  assert.is(fatal.exitCode, 2);
  assert.equal([statuses(fatal, 'roll'), statuses(fatal, 'after')], [['h1:ok', 'h2:failed'], []]);
  const said = fatal.events.flatMap((e) => (e.type === 'host-log' ? [`${e.host} ${e.stepId.split(':').pop()}: ${e.message}`] : [])).sort();
  assert.equal(said, ['h1 after: not started: h2 failed "roll" (any_errors_fatal)', 'h3 roll: not started: h2 failed "roll" (any_errors_fatal)']);
});

test('any_errors_fatal on a run_once step that fails stops the hosts outside the step too (remove-broker: no broker stopped after a failed move)', async () => {
  const fatal = await play({
    runbook: runbook([
      step('fail', { message: 'cannot move' }, { name: 'move', hosts: 'h1,h2', runOnce: true, anyErrorsFatal: true }),
      span('stop', { hosts: 'h3' }),
    ]),
    inventory: inventory(3),
  });
  assert.is(fatal.exitCode, 2);
  assert.equal([statuses(fatal, 'move'), statuses(fatal, 'stop')], [['h1:failed', 'h2:failed'], []]);
});

test.run();
