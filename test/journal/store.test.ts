import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { Runbook, StepDecl } from '../../src/model.js';
import { buildHeader, diffPlan, planSteps } from '../../src/journal/header.js';
import { acquireLock, lockPath, processStart } from '../../src/journal/lock.js';
import { readJournal, trimPartialLine } from '../../src/journal/reader.js';
import type { RunHeader } from '../../src/journal/records.js';
import { MASK } from '../../src/engine/redact.js';
import { JournalSink } from '../../src/journal/sink.js';
import { foldJournal, isDone } from '../../src/journal/state.js';
import { createRun, listRunIds, newRunId, readHeader } from '../../src/journal/store.js';

const dirs: string[] = [];
function tempProject(): string {
  const d = mkdtempSync(join(tmpdir(), 'runbook-journal-'));
  dirs.push(d);
  return d;
}

const pos = { file: 'rb.yaml', line: 1, col: 1 };
function step(name: string, hash = `h-${name}`, extra: Partial<StepDecl> = {}): StepDecl {
  return {
    id: `rb.yaml#0:${name}`, origin: ['rb.yaml'], hash, name, pos, positions: {}, hosts: 'all', task: 'file', args: {}, scope: {},
    notify: [], tags: [], runOnce: false, loopVar: 'item', ignoreErrors: false, anyErrorsFatal: false, noLog: false, ...extra,
  };
}
function runbook(steps: StepDecl[]): Runbook {
  return {
    file: '/p/runbooks/rb.yaml', hash: 'rbhash', name: 'rb', hosts: 'all', strategy: 'linear', onFailure: 'stop',
    vars: { db_secret_thing: { type: 'string', secret: true, required: false, pos }, plain: { type: 'string', secret: true, required: false, pos } },
    items: [
      { kind: 'step', step: steps[0] },
      { kind: 'checkpoint', name: 'cp1', pos },
      ...steps.slice(1).map((s) => ({ kind: 'step' as const, step: s })),
    ],
    handlers: [], dir: '/p/runbooks', templateDirs: [],
  };
}
function header(projectDir: string, id = newRunId()): RunHeader {
  return buildHeader({
    id, projectDir, runbook: runbook([step('a'), step('b'), step('c')]),
    inventory: { hash: 'invhash', hosts: new Map(), groups: new Map() },
    extraVars: { api_token: 's3cr3t-value', plain: 'declared-secret', region: 'eu' },
    options: { checkMode: false }, argv: ['play', 'rb', '-e', 'api_token=s3cr3t-value', '-e', 'region=eu', '-e', '{"plain": "declared-secret"}'],
  });
}

test('run ids sort by start time', () => {
  const a = newRunId(new Date('2026-11-22T12:05:01.123Z'));
  const b = newRunId(new Date('2026-11-22T12:05:02Z'));
  assert.match(a, /^20261122T120501Z-[0-9a-f]{4}$/);
  assert.ok(a < b);
});

test('header: private dir, secrets redacted, read back', async () => {
  const project = tempProject();
  const h = header(project);
  const dir = await createRun(h);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(join(project, '.runbook', 'runs')).mode & 0o777, 0o700);
  const text = readFileSync(join(dir, 'header.json'), 'utf8');
  assert.not.ok(text.includes('s3cr3t-value'), 'a secret-named var leaked');
  assert.not.ok(text.includes('declared-secret'), 'a var declared secret leaked');
  const back = await readHeader(project, h.id);
  assert.equal(back.extraVars, { api_token: MASK, plain: MASK, region: 'eu' });
  assert.equal(back.redactedVars.sort(), ['api_token', 'plain']);
  assert.ok(back.argv.includes(`api_token=${MASK}`));
  assert.ok(back.argv.includes('region=eu'));
  assert.ok(back.argv.includes(`{"plain": "${MASK}"}`));
  assert.equal(await listRunIds(project), [h.id]);
});

test('sink appends one whole line per event, even when emits overlap', async () => {
  const project = tempProject();
  const h = header(project);
  const dir = await createRun(h);
  const sink = await JournalSink.open(dir);
  const events: RunEvent[] = [
    { type: 'run-start', runId: h.id, runbook: 'rb', hosts: ['h1'], checkMode: false, time: 'now' },
    { type: 'host-start', host: 'h1', stepId: 'rb.yaml#0:a', stepName: 'a' },
    { type: 'host-undo', host: 'h1', stepId: 'rb.yaml#0:a', task: 'file', undo: { content: 'x'.repeat(300_000) } },
  ];
  // Hosts emit concurrently: the lines must still come out whole.
  await Promise.all(events.map((e) => sink.emit(e)));
  await sink.emit({
    type: 'host-result', host: 'h1', stepId: 'rb.yaml#0:a', stepName: 'a', task: 'file', status: 'failed',
    error: { kind: 'task', message: 'bad' }, durationMs: 3,
  });
  await sink.close();
  const { records, damaged } = await readJournal(project, h.id);
  assert.is(damaged.length, 0);
  assert.equal(records.map((r) => r.type), ['run-start', 'host-start', 'host-undo', 'host-result']);
  const undo = records[2];
  assert.ok(undo.type === 'host-undo' && (undo.undo as { content: string }).content.length === 300_000);
});

/** Counts the fsyncs of every file handle while `body` runs. */
async function countingSyncs(dir: string, body: (syncs: () => number) => Promise<void>): Promise<void> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  await probe.close();
  const datasync = proto.datasync;
  let syncs = 0;
  proto.datasync = function (this: unknown) {
    syncs++;
    return datasync.call(this);
  };
  try {
    await body(() => syncs);
  } finally {
    proto.datasync = datasync;
  }
}

test('overlapping durable emits share an fsync, and each resolves only once its record is in the file', async () => {
  const project = tempProject();
  const h = header(project);
  const dir = await createRun(h);
  const sink = await JournalSink.open(dir);
  await countingSyncs(dir, async (syncs) => {
    const journal = join(dir, 'journal.jsonl');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sink.emit({ type: 'host-undo', host: `h${i}`, stepId: 'rb.yaml#0:a', task: 'file', undo: { i } }).then(() => {
          assert.ok(readFileSync(journal, 'utf8').includes(`"host":"h${i}"`), `h${i} is in the file when its emit resolves`);
        }),
      ),
    );
    await sink.close();
    assert.ok(syncs() >= 1 && syncs() < 50, `${syncs()} fsyncs for 50 records`);
  });
  const { records, damaged } = await readJournal(project, h.id);
  assert.is(damaged.length, 0);
  assert.is(records.length, 50);
});

test('progress is written behind without an fsync of its own; a durable record writes and fsyncs it first', async () => {
  const project = tempProject();
  const h = header(project);
  const dir = await createRun(h);
  const sink = await JournalSink.open(dir);
  const journal = join(dir, 'journal.jsonl');
  await countingSyncs(dir, async (syncs) => {
    for (let i = 0; i < 50; i++) {
      await sink.emit({ type: 'host-start', host: `h${i}`, stepId: 'rb.yaml#0:a', stepName: 'a' });
      await sink.emit({ type: 'host-result', host: `h${i}`, stepId: 'rb.yaml#0:a', stepName: 'a', task: 'file', status: 'ok', durationMs: 1 });
    }
    assert.is(syncs(), 0, 'no fsync for a step found in sync');
    await new Promise((resolve) => setImmediate(resolve));
    await sink.emit({ type: 'host-start', host: 'h0', stepId: 'rb.yaml#0:b', stepName: 'b' });
    // A changed result is durable: when it resolves, it and everything before it are in the file.
    await sink.emit({ type: 'host-result', host: 'h0', stepId: 'rb.yaml#0:b', stepName: 'b', task: 'file', status: 'changed', durationMs: 1 });
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    assert.is(lines.length, 102);
    assert.is(syncs(), 1);
    await sink.emit({ type: 'step-end', stepId: 'rb.yaml#0:b' });
    await sink.close();
    assert.is(syncs(), 2, 'close fsyncs what was written behind');
  });
  const { records, damaged } = await readJournal(project, h.id);
  assert.is(damaged.length, 0);
  assert.equal(records.at(-1)?.type, 'step-end');
  assert.is(records.length, 103);
});

test('reader drops and reports a truncated last line; trim makes the journal appendable', async () => {
  const project = tempProject();
  const h = header(project);
  const dir = await createRun(h);
  const sink = await JournalSink.open(dir);
  await sink.emit({ type: 'host-start', host: 'h1', stepId: 'rb.yaml#0:a', stepName: 'a' });
  await sink.close();
  appendFileSync(join(dir, 'journal.jsonl'), '{"type":"host-result","host":"h1","st');
  const read = await readJournal(project, h.id);
  assert.is(read.records.length, 1);
  assert.is(read.damaged.length, 1);
  assert.is(read.damaged[0].line, 2);
  assert.is(await trimPartialLine(project, h.id), '{"type":"host-result","host":"h1","st');
  assert.is(await trimPartialLine(project, h.id), undefined);
  const again = await readJournal(project, h.id);
  assert.is(again.damaged.length, 0);
  assert.is(again.records.length, 1);
});

test('fold: status, done steps, unfinished and finished changes, checkpoints', () => {
  const project = '/nowhere';
  const h = header(project);
  let line = 0;
  const rec = (e: object) => ({ ...e, at: 1000 + line, line: ++line }) as never;
  const records = [
    rec({ type: 'run-start', runId: h.id, runbook: 'rb', hosts: ['h1', 'h2'], checkMode: false, time: 't' }),
    rec({ type: 'host-start', host: 'h1', stepId: 'a', stepName: 'a' }),
    rec({ type: 'host-undo', host: 'h1', stepId: 'a', task: 'file', undo: { r: 1 } }),
    rec({ type: 'host-result', host: 'h1', stepId: 'a', stepName: 'a', task: 'file', status: 'changed', undo: [{ task: 'file', record: { r: 1 } }], durationMs: 1 }),
    rec({ type: 'host-result', host: 'h2', stepId: 'a', stepName: 'a', task: 'file', status: 'skipped', reason: 'when was false', durationMs: 1 }),
    rec({ type: 'checkpoint', name: 'cp1', hosts: ['h1', 'h2'] }),
    rec({ type: 'host-start', host: 'h1', stepId: 'b', stepName: 'b' }),
    rec({ type: 'host-undo', host: 'h1', stepId: 'b', task: 'file', undo: { r: 2 } }),
    rec({ type: 'host-start', host: 'h2', stepId: 'b', stepName: 'b' }),
    rec({ type: 'host-result', host: 'h2', stepId: 'b', stepName: 'b', task: 'command', status: 'failed', error: { kind: 'task', message: 'x' }, durationMs: 1 }),
  ];
  const dead = foldJournal(h, records, () => false);
  assert.is(dead.status, 'interrupted');
  assert.is(foldJournal(h, records, () => true).status, 'running');
  assert.ok(isDone(dead.hosts.get('h1')!.get('a')));
  assert.ok(isDone(dead.hosts.get('h2')!.get('a')), 'skipped by a condition stays done');
  assert.is(dead.hosts.get('h1')!.get('b')!.status, 'started');
  assert.not.ok(isDone(dead.hosts.get('h1')!.get('b')));
  assert.not.ok(isDone(dead.hosts.get('h2')!.get('b')));
  // A failure ignore_errors let through is behind the run, as Ansible's play went on past it.
  assert.ok(isDone({ stepId: 'c', stepName: 'c', status: 'failed', ignored: true, line: 1 }));
  assert.not.ok(isDone({ stepId: 'c', stepName: 'c', status: 'failed', line: 1 }));
  // Skips by kind, not by their words: passed over by a resume or --from is not done; declined
  // by --confirm, or a when, is. A journal without kinds is read by its words.
  assert.not.ok(isDone({ stepId: 'c', stepName: 'c', status: 'skipped', skip: 'passed-over', reason: 'anything', line: 1 }));
  assert.ok(isDone({ stepId: 'c', stepName: 'c', status: 'skipped', skip: 'declined', reason: 'done in an earlier run', line: 1 }));
  assert.ok(isDone({ stepId: 'c', stepName: 'c', status: 'skipped', skip: 'condition', reason: 'before --from', line: 1 }));
  assert.not.ok(isDone({ stepId: 'c', stepName: 'c', status: 'skipped', reason: 'before --from', line: 1 }));
  assert.equal(dead.changes.map((c) => [c.host, c.stepId, c.unfinished, c.record]), [
    ['h1', 'a', false, { r: 1 }],
    ['h1', 'b', true, { r: 2 }],
  ]);
  assert.is(dead.checkpoints.get('h2')!.get('cp1'), 6);
  const ended = foldJournal(h, [...records, rec({ type: 'run-end', status: 'failed', recap: {}, durationMs: 5 })], () => false);
  assert.is(ended.status, 'failed');
});

test('plan diff names added, removed and changed steps', () => {
  const before = planSteps(runbook([step('a'), step('b'), step('c')]));
  const now = runbook([step('a'), step('b', 'edited'), step('d')]);
  assert.equal(diffPlan(before, now), { added: ['d'], removed: ['c'], changed: ['b'] });
  assert.equal(diffPlan(before, runbook([step('a'), step('b'), step('c')])), { added: [], removed: [], changed: [] });
});

test('lock: exclusive while the owner lives, stale lock taken over with a warning, released', () => {
  const project = tempProject();
  const warnings: string[] = [];
  const lock = acquireLock(project, 'run-1', (m) => warnings.push(m));
  assert.ok(existsSync(lockPath(project)));
  // The pid of a process that has exited: a killed controller.
  const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
  lock.release();
  assert.not.ok(existsSync(lockPath(project)));
  // A live other process (our parent) holds it: refused.
  writeFileSync(lockPath(project), JSON.stringify({ pid: process.ppid, runId: 'live-run' }));
  try {
    acquireLock(project, 'run-2', (m) => warnings.push(m));
    assert.unreachable('a live owner must keep the lock');
  } catch (e) {
    assert.match((e as Error).message, /live-run/);
  }
  writeFileSync(lockPath(project), JSON.stringify({ pid: deadPid, runId: 'dead-run' }));
  const taken = acquireLock(project, 'run-3', (m) => warnings.push(m));
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /stale lock of dead-run/);
  assert.equal(JSON.parse(readFileSync(lockPath(project), 'utf8')), { pid: process.pid, runId: 'run-3', start: processStart(process.pid) });
  taken.release();
  assert.not.ok(existsSync(lockPath(project)));
});

test('lock is released when the process exits', () => {
  const project = tempProject();
  const script = `
    import { acquireLock } from ${JSON.stringify(new URL('../../src/journal/lock.ts', import.meta.url).href)};
    acquireLock(${JSON.stringify(project)}, 'r', () => {});
    process.exit(3);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  assert.is(r.status, 3, r.stderr.toString());
  assert.not.ok(existsSync(lockPath(project)));
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
