import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Runbook, StepDecl } from '../../src/model.js';
import type { TaskRegistry } from '../../src/task/registry.js';
import type { TaskDefinition } from '../../src/task/types.js';
import type { LoadedRun } from '../../src/journal/history.js';
import type { NumberedLine } from '../../src/journal/reader.js';
import type { RunHeader } from '../../src/journal/records.js';
import { lockStepRounds, planRollback } from '../../src/journal/rollback-plan.js';
import { doneSteps } from '../../src/journal/resume.js';
import { foldJournal } from '../../src/journal/state.js';

const pos = { file: 'rb.yaml', line: 1, col: 1 };
const step = (id: string, task: string, undo?: StepDecl[]): StepDecl => ({
  id, origin: ['rb.yaml'], hash: id, name: id, pos, positions: {}, hosts: 'all', task, args: {}, scope: {}, notify: [], tags: [],
  runOnce: false, loopVar: 'item', ignoreErrors: false, anyErrorsFatal: false, noLog: false, ...(undo ? { undo } : {}),
});
const runbook: Runbook = {
  file: 'rb.yaml', hash: 'h', name: 'rb', hosts: 'all', strategy: 'linear', onFailure: 'stop', vars: {}, dir: '/', templateDirs: [],
  items: [
    { kind: 'step', step: step('a', 'copy') },
    { kind: 'checkpoint', name: 'cp', pos },
    { kind: 'step', step: step('b', 'shell', [step('b/undo#0', 'file')]) },
    { kind: 'step', step: step('c', 'shell') },
    { kind: 'step', step: step('d', 'copy') },
  ],
  handlers: [],
};
const withUndo = { undo: async () => {} } as unknown as TaskDefinition;
const registry: TaskRegistry = {
  has: (name) => name === 'copy' || name === 'shell',
  load: async () => {},
  get: (name) => (name === 'copy' ? withUndo : name === 'shell' ? ({} as TaskDefinition) : undefined),
  names: () => ['copy', 'shell'],
  suggest: () => undefined,
  ambiguous: () => undefined,
  entries: () => [],
  keys: () => ['copy', 'shell'],
};
const header = { id: 'r', kind: 'play', pid: 1, steps: [], checkpoints: [{ name: 'cp', beforeStep: 1 }], startTime: 't' } as unknown as RunHeader;

function loaded(events: object[]): LoadedRun {
  const records = events.map((e, i) => ({ ...e, at: i, line: i + 1 }) as NumberedLine);
  return { header, records, damaged: [], state: foldJournal(header, records, () => false) };
}
const changed = (host: string, stepId: string, task: string, record: unknown = { r: stepId }) => ({
  type: 'host-result', host, stepId, stepName: stepId, task, status: 'changed', durationMs: 1,
  ...(record === undefined ? {} : { undo: [{ task, record }] }),
});

const run = loaded([
  { type: 'run-start', runId: 'r', runbook: 'rb', hosts: ['h1', 'h2'], checkMode: false, time: 't' },
  changed('h1', 'a', 'copy'),
  changed('h2', 'a', 'copy'),
  { type: 'checkpoint', name: 'cp', hosts: ['h1'] },
  changed('h1', 'b', 'shell', undefined),
  changed('h1', 'c', 'shell', undefined),
  changed('h1', 'd', 'copy'),
  { type: 'host-undo', host: 'h2', stepId: 'b', task: 'shell', undo: { half: true } },
]);

const ways = (plan: ReturnType<typeof planRollback>, host: string) => plan.get(host)?.map((u) => `${u.change.stepId}:${u.way}`);

test('newest first per host, with how each change is undone', () => {
  const plan = planRollback(run, { registry, runbook }, new Set());
  assert.equal(ways(plan, 'h1'), ['d:task', 'c:not-reversible', 'b:undo-steps', 'a:task']);
  // h2 died while applying b: its journaled undo record is kept, marked unfinished.
  assert.equal(ways(plan, 'h2'), ['b:undo-steps', 'a:task']);
  assert.ok(plan.get('h2')![0].change.unfinished);
});

test('rollback runs in lock-step: every host undoes a step before any host undoes the one before it', () => {
  const plan = planRollback(run, { registry, runbook }, new Set());
  // Within a round hosts run in parallel: their order there does not matter.
  const rounds = lockStepRounds(plan).map((round) => [...round].map(([host, list]) => `${host}:${list.map((u) => u.change.stepId).join(',')}`).sort());
  assert.equal(rounds, [['h2:b'], ['h1:d'], ['h1:c'], ['h1:b'], ['h1:a', 'h2:a']]);
});

test('--to keeps what came before the checkpoint; hosts that never reached it are left alone', () => {
  const plan = planRollback(run, { registry, runbook, to: 'cp' }, new Set());
  assert.equal(ways(plan, 'h1'), ['d:task', 'c:not-reversible', 'b:undo-steps']);
  assert.is(plan.get('h2'), undefined);
  const last = planRollback(run, { registry, runbook, to: { lastReached: true }, hosts: ['h2'] }, new Set());
  assert.equal(ways(last, 'h2'), ['b:undo-steps', 'a:task'], 'no checkpoint reached: everything');
  try {
    planRollback(run, { registry, runbook, to: 'nope' }, new Set());
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /no checkpoint "nope"/);
  }
});

test('a point of no return passed on one host (run once) stops every host there; what came after it is still undone', () => {
  const bumped: Runbook = {
    ...runbook,
    items: [
      { kind: 'step', step: step('move', 'copy') },
      { kind: 'step', step: { ...step('bump', 'copy'), runOnce: true, irreversible: 'the metadata is the new release\'s' } },
      { kind: 'step', step: step('after', 'copy') },
    ],
  };
  const trip = loaded([
    { type: 'run-start', runId: 'r', runbook: 'rb', hosts: ['h1', 'h2', 'h3'], checkMode: false, time: 't' },
    changed('h1', 'move', 'copy'),
    changed('h2', 'move', 'copy'),
    changed('h3', 'move', 'copy'),
    changed('h1', 'bump', 'copy'),
    changed('h2', 'after', 'copy'),
  ]);
  const plan = planRollback(trip, { registry, runbook: bumped }, new Set());
  assert.equal(ways(plan, 'h1'), ['bump:irreversible']);
  assert.equal(ways(plan, 'h2'), ['after:task', 'bump:irreversible']);
  assert.equal(ways(plan, 'h3'), ['bump:irreversible']);
  assert.is(plan.get('h3')![0].change.host, 'h1', "h3 stops at h1's bump");
  // Without the bump every move is undone.
  const moved = loaded(trip.records.filter((r) => (r as { stepId?: string }).stepId !== 'bump'));
  assert.equal(ways(planRollback(moved, { registry, runbook: bumped }, new Set()), 'h3'), ['move:task']);
});

test('changes an earlier rollback undid are skipped; resume runs their steps again', () => {
  const d = run.state.changes.find((c) => c.host === 'h1' && c.stepId === 'd')!;
  const plan = planRollback(run, { registry, runbook }, new Set([`h1\0${d.key}`]));
  assert.equal(ways(plan, 'h1'), ['c:not-reversible', 'b:undo-steps', 'a:task']);
  const done = doneSteps(run.state, new Set(['h1\0d']));
  assert.equal(done.done('h1', 'a'), { status: 'changed' });
  assert.is(done.done('h1', 'd'), undefined);
  assert.is(done.done('h2', 'b'), undefined, 'in flight when the run died');
});

test.run();
