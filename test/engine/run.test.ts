import { test } from 'uvu';
import { waitFor } from '../helpers/wait.js';
import { caught } from '../helpers/caught.js';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUserError } from '../../src/errors.js';
import type { RunEvent } from '../../src/engine/events.js';
import { fixtureRegistry, inventory, lines, play, runbook, statuses, step, tempDir } from './helpers.js';
import { planPlay } from '../../src/engine/plan.js';

let dir: string;
let cleanup: () => Promise<void>;
test.before.each(async () => {
  ({ dir, cleanup } = await tempDir());
});
test.after.each(async () => {
  await cleanup();
});

const log = () => join(dir, 'log');

test('linear: every host finishes a step before any host starts the next', async () => {
  const rb = runbook([
    step('log', { path: log(), text: '{{inventory_hostname}}:A', sleepMs: 0 }, { name: 'A', args: { path: log(), text: '{{inventory_hostname}}:A', sleepMs: '{{slow}}' } }),
    step('log', { path: log(), text: '{{inventory_hostname}}:B' }, { name: 'B' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(2, {}, { h1: { slow: 200 }, h2: { slow: 0 } }) });
  assert.is(p.exitCode, 0);
  const got = await lines(log());
  assert.equal(got.slice(0, 2).sort(), ['h1:A', 'h2:A']);
  assert.equal(got.slice(2).sort(), ['h1:B', 'h2:B']);
  assert.equal(p.recap.h1, { ok: 2, changed: 2, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 });
});

test('free: a fast host runs ahead of a slow one', async () => {
  const rb = runbook(
    [
      step('log', {}, { name: 'A', args: { path: log(), text: '{{inventory_hostname}}:A', sleepMs: '{{slow}}' } }),
      step('log', { path: log(), text: '{{inventory_hostname}}:B' }, { name: 'B' }),
    ],
    { strategy: 'free' },
  );
  const p = await play({ runbook: rb, inventory: inventory(2, {}, { h1: { slow: 400 }, h2: { slow: 0 } }) });
  assert.is(p.exitCode, 0);
  assert.equal(await lines(log()), ['h2:A', 'h2:B', 'h1:A', 'h1:B']);
  // step-start once per step, step-end after the last host
  const starts = p.events.filter((e) => e.type === 'step-start').map((e) => (e as { stepName: string }).stepName);
  assert.equal(starts, ['A', 'B']);
});

test('serial: the whole play runs batch by batch', async () => {
  const rb = runbook(
    [step('log', { path: log(), text: '{{inventory_hostname}}:A' }, { name: 'A' }), step('log', { path: log(), text: '{{inventory_hostname}}:B' }, { name: 'B' })],
    { serial: '50%' },
  );
  const p = await play({ runbook: rb, inventory: inventory(4) });
  assert.is(p.exitCode, 0);
  const got = await lines(log());
  assert.equal(got.slice(0, 2).sort(), ['h1:A', 'h2:A']);
  assert.equal(got.slice(2, 4).sort(), ['h1:B', 'h2:B']);
  assert.equal(got.slice(4, 6).sort(), ['h3:A', 'h4:A']);
});

test('when skips a host; register carries a result into later args and conditions', async () => {
  const rb = runbook([
    step('log', { path: log(), text: 'only h1' }, { name: 'only h1', when: 'eq inventory_hostname "h1"' }),
    step('counter', { path: join(dir, 'count-{{inventory_hostname}}') }, { name: 'count', register: 'c' }),
    step('log', { path: log(), text: '{{inventory_hostname}} count={{c.count}}' }, { name: 'use', when: 'c.changed' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(2) });
  assert.is(p.exitCode, 0);
  assert.equal(statuses(p, 'only h1'), ['h1:changed', 'h2:skipped']);
  assert.match(p.results.find((r) => r.host === 'h2' && r.stepName === 'only h1')!.reason!, /when/);
  assert.equal((await lines(log())).sort(), ['h1 count=1', 'h2 count=1', 'only h1']);
  assert.is(p.results.find((r) => r.stepName === 'count')!.registered!['count'], 1);
});

test('loop: one call per item, results aggregated under register', async () => {
  const rb = runbook([
    step('log', { path: log(), text: 'item {{item}}' }, { name: 'loop', loop: ['a', 'b', 'c'], register: 'r' }),
    step('log', { path: log(), text: 'n={{r.results.length}}' }, { name: 'after' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(1) });
  assert.is(p.exitCode, 0);
  assert.equal(await lines(log()), ['item a', 'item b', 'item c', 'n=3']);
  const r = p.results.find((x) => x.stepName === 'loop')!;
  assert.is(r.status, 'changed');
  assert.is(r.undo!.length, 3);
  assert.equal(r.undo!.map((u) => u.item), [0, 1, 2]);
});

test('until retries until the condition holds; retries alone retry failures; an unmet until fails', async () => {
  const rb = runbook([
    step('counter', { path: join(dir, 'u'), doneAt: 3 }, { name: 'until', register: 'c', until: 'c.done', retries: 5, delay: 0 }),
    step('counter', { path: join(dir, 'r'), failUntil: 2 }, { name: 'retries', retries: 3, delay: 0 }),
    step('counter', { path: join(dir, 'n'), doneAt: 9 }, { name: 'never', register: 'n', until: 'n.done', retries: 1, delay: 0 }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(1) });
  assert.is(await readFile(join(dir, 'u'), 'utf8'), '3');
  assert.is(p.results.find((r) => r.stepName === 'until')!.registered!['attempts'], 3);
  assert.is(await readFile(join(dir, 'r'), 'utf8'), '2');
  assert.equal(statuses(p, 'retries'), ['h1:changed']);
  assert.equal(statuses(p, 'never'), ['h1:failed']);
  assert.is(await readFile(join(dir, 'n'), 'utf8'), '2');
  assert.is(p.exitCode, 2);
});

test('timeout fails an attempt that runs too long, kills its command, and retries start a fresh attempt', async () => {
  const seconds = 37.25; // unique, to find the remote command with pgrep
  const rb = runbook([
    step('sleep', { seconds }, { name: 'slow command', register: 's', timeout: 0.3, retries: 1, delay: 0 }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(1) });
  assert.equal(statuses(p, 'slow command'), ['h1:failed']);
  const slow = p.results.find((r) => r.stepName === 'slow command')!;
  assert.is(slow.registered!['attempts'], 2);
  assert.match(String(slow.registered!['msg']), 'timed out after 0.3 s');
  assert.ok(await waitFor(() => spawnSync('pgrep', ['-f', `sleep ${seconds}`]).status === 1), 'the command is gone');
  assert.is(p.exitCode, 2);
});

test('timeout: a task busy outside any command fails at the deadline too', async () => {
  const rb = runbook([
    step('log', { path: log(), text: 'x', sleepMs: 5000 }, { name: 'busy task', register: 'b', timeout: 0.2, ignoreErrors: true }),
    step('log', { path: log(), text: 'done' }, { name: 'in time', timeout: 5 }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(1) });
  // Had the engine waited for the task, it would have finished and changed the host.
  assert.equal(statuses(p, 'busy task'), ['h1:failed']);
  assert.match(String(p.results.find((r) => r.stepName === 'busy task')!.registered!['msg']), 'timed out after 0.2 s');
  assert.equal(statuses(p, 'in time'), ['h1:changed']);
});

test('handlers run once, in declaration order, at flush_handlers and at the end; listen names work', async () => {
  const handler = (name: string, listen?: string[]) => step('log', { path: log(), text: `handler ${name}` }, { name, listen });
  const rb = runbook(
    [
      step('log', { path: log(), text: 'one' }, { name: 'one', notify: ['restart b', 'restart a'] }),
      step('log', { path: log(), text: 'two' }, { name: 'two', notify: ['restart a'] }),
      { kind: 'flush_handlers', pos: { file: 'x', line: 1, col: 1 } },
      step('log', { path: log(), text: 'three' }, { name: 'three', notify: ['restart things'] }),
      step('log', { path: log(), text: 'four' }, { name: 'four', notify: ['restart b'], when: 'false' }),
    ],
    { handlers: [handler('restart a'), handler('restart b', ['restart things'])] },
  );
  const p = await play({ runbook: rb, inventory: inventory(1) });
  assert.is(p.exitCode, 0);
  assert.equal(await lines(log()), ['one', 'two', 'handler restart a', 'handler restart b', 'three', 'handler restart b']);
  const handlerStarts = p.events.filter((e) => e.type === 'step-start' && e.handler).map((e) => (e as { stepId: string }).stepId);
  assert.equal(handlerStarts, ['handler:restart a', 'handler:restart b', 'handler:restart b']);
});

test('a file included twice: each copy of its handlers has its own id, and a step notifies its own copy (a top-level step both)', async () => {
  const first = ['top.yaml', 'top.yaml#1/part.yaml'];
  const second = ['top.yaml', 'top.yaml#3/part.yaml'];
  const flush = { kind: 'flush_handlers' as const, pos: { file: 'x', line: 1, col: 1 } };
  const rb = runbook(
    [
      step('log', { path: log(), text: 'first' }, { name: 'first', notify: ['restart'], origin: first }),
      flush,
      step('log', { path: log(), text: 'second' }, { name: 'second', notify: ['restart'], origin: second }),
      flush,
      step('log', { path: log(), text: 'top' }, { name: 'top', notify: ['restart'], origin: ['top.yaml'] }),
    ],
    {
      handlers: [
        step('log', { path: log(), text: 'handler of the first' }, { name: 'restart', origin: first }),
        step('log', { path: log(), text: 'handler of the second' }, { name: 'restart', origin: second }),
      ],
    },
  );
  const p = await play({ runbook: rb, inventory: inventory(1) });
  assert.is(p.exitCode, 0);
  assert.equal(await lines(log()), ['first', 'handler of the first', 'second', 'handler of the second', 'top', 'handler of the first', 'handler of the second']);
  const handlerStarts = p.events.filter((e) => e.type === 'step-start' && e.handler).map((e) => (e as { stepId: string }).stepId);
  assert.equal(handlerStarts, ['handler:restart', 'handler:restart#2', 'handler:restart', 'handler:restart#2']);
});

test('tags: --tags selects (plus always), never runs only when asked, --skip-tags excludes', async () => {
  const rb = runbook([
    step('log', { path: log(), text: 'a' }, { name: 'a', tags: ['a'] }),
    step('log', { path: log(), text: 'b' }, { name: 'b', tags: ['b'] }),
    step('log', { path: log(), text: 'always' }, { name: 'always', tags: ['always'] }),
    step('log', { path: log(), text: 'never' }, { name: 'never', tags: ['never', 'debug'] }),
    step('log', { path: log(), text: 'untagged' }, { name: 'untagged' }),
  ]);
  const run = async (tags: string[], skipTags: string[]) => {
    await writeFile(log(), '');
    await play({ runbook: rb, inventory: inventory(1), tags, skipTags });
    return lines(log());
  };
  assert.equal(await run([], []), ['a', 'b', 'always', 'untagged']);
  assert.equal(await run(['a'], []), ['a', 'always']);
  assert.equal(await run(['debug'], []), ['always', 'never']);
  assert.equal(await run([], ['b', 'always']), ['a', 'untagged']);
  assert.equal(await run(['untagged'], []), ['always', 'untagged']);
});

test('run_once runs on the first host; every host gets its registered result', async () => {
  const rb = runbook([
    step('counter', { path: join(dir, 'once') }, { name: 'once', runOnce: true, register: 'o' }),
    step('log', { path: log(), text: '{{inventory_hostname}} saw {{o.count}}' }, { name: 'use' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(3) });
  assert.is(p.exitCode, 0);
  assert.is(await readFile(join(dir, 'once'), 'utf8'), '1');
  assert.equal(statuses(p, 'once'), ['h1:changed']);
  assert.equal((await lines(log())).sort(), ['h1 saw 1', 'h2 saw 1', 'h3 saw 1']);
  // step-start names the hosts that will report: the terminal tree waits for each one it names.
  const start = p.events.find((e) => e.type === 'step-start' && e.stepName === 'once');
  assert.equal(start && start.type === 'step-start' ? start.hosts : [], ['h1']);
});

test('vars templated on other vars are rendered as Ansible renders them, a register result too; a loop of vars is refused', async () => {
  const rb = runbook([
    step('counter', { path: join(dir, 'n') }, { name: 'count', register: 'counted' }),
    step('log', {}, { name: 'use', args: { path: log(), text: '{{inventory_hostname}} {{home}} {{port}} {{seen}}' } }),
  ]);
  const vars = { base: '/opt', home: '{{base}}/kafka_{{version}}', version: '{{major}}.1', major: 4, port: '{{p}}', p: 9092, seen: 'count {{counted.count}}' };
  const p = await play({ runbook: rb, inventory: inventory(1, {}, { h1: vars }) });
  assert.is(p.exitCode, 0);
  assert.equal(await lines(log()), ['h1 /opt/kafka_4.1 9092 count 1']);
  const e = await caught(play({ runbook: rb, inventory: inventory(1, {}, { h1: { a: '{{b}}', b: '{{a}}' } }) }));
  assert.match(e.message, /vars "a", "b" refer to each other/);
});

test('a failed host stops only itself; ignore_errors goes on and counts as ignored', async () => {
  const rb = runbook([
    step('fail', { message: 'boom' }, { name: 'fail h1', when: 'eq inventory_hostname "h1"' }),
    step('fail', { message: 'tolerated' }, { name: 'ignored', ignoreErrors: true }),
    step('log', { path: log(), text: '{{inventory_hostname}}' }, { name: 'after' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(2) });
  assert.is(p.exitCode, 2);
  assert.is(p.status, 'failed');
  assert.equal(await lines(log()), ['h2']);
  assert.equal(statuses(p, 'fail h1'), ['h1:failed', 'h2:skipped']);
  const failed = p.results.find((r) => r.stepName === 'fail h1' && r.host === 'h1')!;
  assert.equal(failed.error, { kind: 'task', message: 'boom' });
  assert.equal(statuses(p, 'ignored'), ['h2:failed']);
  assert.is(p.results.find((r) => r.stepName === 'ignored')!.ignored, true);
  assert.equal(p.recap.h2, { ok: 2, changed: 1, failed: 0, skipped: 1, unreachable: 0, rescued: 0, ignored: 1 });
  assert.is(p.recap.h1.failed, 1);
});

test('check mode: only check runs; changes are reported with diffs, never applied', async () => {
  const file = join(dir, 'f');
  const rb = runbook([
    step('content', { path: file, content: 'new\n' }, { name: 'content' }),
    step('unknowable', { path: join(dir, 'touched') }, { name: 'cmd' }),
    step('log', { path: log(), text: 'x' }, { name: 'forced', checkMode: false }),
  ]);
  rb.items.push({ kind: 'step', step: step('counter', { path: join(dir, 'u'), doneAt: 3 }, { name: 'until', register: 'c', until: 'c.done', retries: 5, delay: 0 }) });
  const p = await play({ runbook: rb, inventory: inventory(1), checkMode: true, diff: true });
  assert.is(p.exitCode, 0);
  assert.equal(statuses(p, 'until'), ['h1:changed']);
  assert.not.ok(existsSync(file));
  assert.not.ok(existsSync(join(dir, 'touched')));
  const content = p.results.find((r) => r.stepName === 'content')!;
  assert.is(content.status, 'changed');
  assert.equal(content.diff, [{ path: file, before: null, after: 'new\n' }]);
  assert.is(content.undo, undefined);
  assert.equal(statuses(p, 'cmd'), ['h1:skipped']);
  // check_mode: false applies even under --check
  assert.equal(await lines(log()), ['x']);
  assert.equal(
    p.events.filter((e) => e.type === 'host-undo').map((e) => (e as { stepId: string }).stepId),
    [p.results.find((r) => r.stepName === 'forced')!.stepId],
  );
});

test('the undo record is emitted (and awaited) before apply touches the host', async () => {
  const file = join(dir, 'f');
  await writeFile(file, 'old\n');
  const seen: Array<{ type: string; content: string }> = [];
  const rb = runbook([step('content', { path: file, content: 'new\n' }, { name: 'content' })]);
  const p = await play({
    runbook: rb,
    inventory: inventory(1),
    sinks: [
      {
        emit: async (e: RunEvent) => {
          await new Promise((r) => setTimeout(r, 20)); // a slow journal: apply must wait for it
          seen.push({ type: e.type, content: await readFile(file, 'utf8') });
        },
      },
    ],
  });
  assert.is(p.exitCode, 0);
  const undo = seen.find((s) => s.type === 'host-undo')!;
  assert.is(undo.content, 'old\n');
  assert.is(seen.find((s) => s.type === 'host-result')!.content, 'new\n');
});

test('second play changes nothing (idempotent fixture), diff only on change', async () => {
  const file = join(dir, 'f');
  const rb = runbook([step('content', { path: file, content: 'v={{v}}\n' }, { name: 'content' })]);
  const inv = inventory(1, {}, { h1: { v: 1 } });
  const first = await play({ runbook: rb, inventory: inv, diff: true });
  assert.is(first.recap.h1.changed, 1);
  const second = await play({ runbook: rb, inventory: inv, diff: true });
  assert.is(second.recap.h1.changed, 0);
  assert.is(second.results[0].diff, undefined);
});

test('interrupt: nothing new starts, in-flight steps finish and are reported, status interrupted', async () => {
  const controller = new AbortController();
  const rb = runbook([
    step('log', {}, { name: 'A', args: { path: log(), text: '{{inventory_hostname}}:A', sleepMs: '{{slow}}' } }),
    step('log', { path: log(), text: '{{inventory_hostname}}:B' }, { name: 'B' }),
  ]);
  const p = await play({
    runbook: rb,
    inventory: inventory(2, {}, { h1: { slow: 300 }, h2: { slow: 0 } }),
    signal: controller.signal,
    sinks: [
      {
        emit: (e: RunEvent) => {
          if (e.type === 'host-result' && e.host === 'h2') controller.abort();
        },
      },
    ],
  });
  assert.is(p.status, 'interrupted');
  assert.is(p.exitCode, 99);
  assert.equal((await lines(log())).sort(), ['h1:A', 'h2:A']);
  assert.is(p.recap.h1.changed, 1);
});

test('resume: a done step is not run again; its registered value is restored', async () => {
  const first = step('counter', { path: join(dir, 'c') }, { name: 'count', register: 'c' });
  const rb = runbook([first, step('log', { path: log(), text: 'count={{c.count}}' }, { name: 'use' })]);
  const p = await play({
    runbook: rb,
    inventory: inventory(1),
    resume: { done: (host, id) => (host === 'h1' && id === first.id ? { status: 'changed', registered: { count: 7, changed: true } } : undefined) },
  });
  assert.is(p.exitCode, 0);
  assert.not.ok(existsSync(join(dir, 'c')));
  const r = p.results.find((x) => x.stepName === 'count')!;
  assert.is(r.status, 'skipped');
  assert.is(r.reason, 'done in an earlier run');
  assert.equal(await lines(log()), ['count=7']);
});

test('fromStep: items before it are skipped, from it on everything runs', async () => {
  const rb = runbook([
    step('log', { path: log(), text: 'one' }, { name: 'one' }),
    { kind: 'checkpoint', name: 'mid', pos: { file: 'x', line: 1, col: 1 } },
    step('log', { path: log(), text: 'two' }, { name: 'two' }),
  ]);
  const p = await play({ runbook: rb, inventory: inventory(1), fromStep: 'mid', resume: { done: () => ({ status: 'ok' }) } });
  assert.equal(await lines(log()), ['two']);
  assert.equal(statuses(p, 'one'), ['h1:skipped']);
  assert.ok(p.events.some((e) => e.type === 'checkpoint' && e.name === 'mid'));
});

test('facts in one round trip, peers, become to the login user is a no-op', async () => {
  const rb = runbook([step('probe', {}, { name: 'probe', register: 'p', become: true, becomeUser: process.env.USER ?? 'root' })]);
  const p = await play({ runbook: rb, inventory: inventory(2) });
  assert.is(p.exitCode, 0);
  const reg = p.results.find((r) => r.host === 'h1')!.registered!;
  assert.type(reg['os'], 'string');
  assert.equal(reg['peers'], ['h2']);
});

test('plan errors (missing variable, unknown --limit pattern) throw before any event or connection', async () => {
  const events: RunEvent[] = [];
  const rb = runbook([step('log', { path: log(), text: 'ok' }, { name: 'fine' }), step('log', { path: log(), text: '{{nope}}' }, { name: 'bad' })]);
  try {
    await play({ runbook: rb, inventory: inventory(1), sinks: [{ emit: (e: RunEvent) => void events.push(e) }] });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    assert.match((e as Error).message, /nope/);
  }
  assert.is(events.length, 0);
  assert.not.ok(existsSync(log()));
});

test('template files: found in templates/ beside the runbook; a missing variable in one fails at plan time', async () => {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'good.hbs'), 'host={{inventory_hostname}}\n');
  await writeFile(join(dir, 'templates', 'bad.hbs'), 'line one\nvalue={{missing_var}}\n');
  const pos = { file: join(dir, 'test.yaml'), line: 1, col: 1 };
  const good = await play({ runbook: runbook([step('probe', { template: 'good.hbs' }, { name: 'good', register: 'p', pos })]), inventory: inventory(1) });
  assert.is(good.exitCode, 0);
  assert.is(good.results[0].registered!['rendered'], 'host=h1\n');

  const events: RunEvent[] = [];
  const rb = runbook([step('log', { path: log(), text: 'x' }, { name: 'first' }), step('probe', { template: 'bad.hbs' }, { name: 'bad', pos })]);
  try {
    await play({ runbook: rb, inventory: inventory(1), sinks: [{ emit: (e: RunEvent) => void events.push(e) }] });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    assert.match((e as Error).message, /missing_var/);
    const pos = (e as { pos?: { file: string; line: number } }).pos;
    assert.equal(pos && { file: pos.file, line: pos.line }, { file: join(dir, 'templates', 'bad.hbs'), line: 2 });
  }
  assert.is(events.length, 0);
  assert.not.ok(existsSync(log()));
});

test('template files: rendered once, at planning, and the task gets that content; one naming a registered var renders when the step runs', async () => {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'templates'), { recursive: true });
  await writeFile(join(dir, 'templates', 'planned.hbs'), 'host={{inventory_hostname}}\n');
  await writeFile(join(dir, 'templates', 'late.hbs'), 'seen={{first.rendered}}\n');
  const pos = { file: join(dir, 'test.yaml'), line: 1, col: 1 };
  const rb = runbook([
    step('probe', { template: 'planned.hbs' }, { name: 'planned', register: 'first', pos }),
    step('probe', { template: 'late.hbs' }, { name: 'late', register: 'second', pos }),
  ]);
  const plan = await planPlay({ runbook: rb, inventory: inventory(2), registry: await fixtureRegistry(), extraVars: {}, tags: { only: [], skip: [] }, steps: {} });
  const calls = (name: string) => {
    const item = plan.items.find((i) => i.kind === 'step' && i.planned.step.name === name);
    return item?.kind === 'step' ? [...item.planned.perHost.values()].map((hp) => hp.calls?.[0]) : [];
  };
  assert.equal(calls('planned').map((c) => plan.renderedTemplates.get(c!)?.get('planned.hbs')), ['host=h1\n', 'host=h2\n']);
  // first.rendered exists only once the first step has run: the plan leaves this file to the task.
  assert.equal(calls('late').map((c) => plan.renderedTemplates.get(c!)), [undefined, undefined]);

  const played = await play({ runbook: rb, inventory: inventory(2) });
  assert.is(played.exitCode, 0);
  assert.equal(played.results.map((r) => `${r.host}:${r.registered!['rendered']}`).sort(), ['h1:host=h1\n', 'h1:seen=host=h1\n\n', 'h2:host=h2\n', 'h2:seen=host=h2\n\n']);
});

test('an unreachable host stops with status unreachable; exit code 4', async () => {
  const inv = inventory(2);
  inv.hosts.set('h2', { name: 'h2', connection: 'ssh', address: '127.0.0.1', port: 1, user: 'nobody', vars: {} });
  const rb = runbook([step('log', { path: log(), text: '{{inventory_hostname}}' }, { name: 'A' }), step('log', { path: log(), text: 'B' }, { name: 'B' })]);
  const p = await play({ runbook: rb, inventory: inv });
  assert.is(p.exitCode, 4);
  assert.equal(statuses(p, 'A'), ['h1:changed', 'h2:unreachable']);
  assert.equal(statuses(p, 'B'), ['h1:changed']);
  assert.is(p.recap.h2.unreachable, 1);
});

test.run();
