// The executor. Plans the play (nothing touches a host until every step validated), opens one
// connection per host, then runs the plan batch by batch (serial), in lock-step (linear: every
// host finishes step k before any starts k+1) or with each host on its own (free), runs the
// notified handlers, and reports every result as an event.

import { Machines } from './machine.js';
import { UserError } from '../errors.js';
import type { Inventory, Runbook, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { ConnectOptions } from '../transport/connect.js';
import { HostShell } from '../transport/host.js';
import { ConnectionPool } from '../transport/pool.js';
import { Emitter } from './emitter.js';
import { EXIT } from './exit-codes.js';
import type { EventSink, HostRecap } from './events.js';
import { FactsCache } from './facts.js';
import { limiter, type Limiter } from './limit.js';
import { batches, planPlay, type Plan, type PlannedItem, type PlannedStep } from './plan.js';
import type { HostState, ResumeSource, RunState } from './state.js';
import { ReadAhead, ReadAheadTransport, Generation } from './read-ahead.js';
import { executeStep } from './step.js';
import { inBlockTurn, leaveBlocks } from './blocks.js';
import { assertConfirmable, confirmStep, skipConfirmed, type Confirm } from './confirm.js';
import { lockedHost, lockHosts, type HistoryRecord, type LockedHost, type RunRecords } from './host-record.js';

export interface PlayOptions {
  runbook: Runbook;
  inventory: Inventory;
  registry: TaskRegistry;
  /** --extra-vars: the highest precedence. */
  extraVars?: Vars;
  /** --check: only `check`, never `apply` (a step's check_mode overrides). */
  checkMode?: boolean;
  /** --diff: put file diffs into host-result events. */
  diff?: boolean;
  /** --limit host pattern. */
  limit?: string;
  /** --forks: at most this many hosts work at once (default 10). */
  forks?: number;
  tags?: string[];
  skipTags?: string[];
  /** --step globs: only the steps named. */
  steps?: string[];
  /** --start-at-step: the steps before it are left out. */
  startAtStep?: string;
  sinks: EventSink[];
  /** The interrupt: once aborted nothing new starts; in-flight host steps finish and are reported. */
  signal?: AbortSignal;
  projectDir: string;
  runId: string;
  connect?: Pick<ConnectOptions, 'acceptNewHostKeys'>;
  /** Steps done in an earlier run (resume): not run again, their registered values restored. */
  resume?: ResumeSource;
  /** A step id or checkpoint name: items before it are skipped, and from it on nothing counts as done. */
  fromStep?: string;
  /** Warnings for the operator (a stale host lock taken over). */
  warn?: (message: string) => void;
  /** --confirm: asked before each step that would change something (strategy linear only). */
  confirm?: Confirm;
}

export interface PlayResult {
  status: 'ok' | 'failed' | 'interrupted';
  /** 0 all ok, 2 a host failed, 4 a host unreachable, 99 interrupted (see `runbook play --help`). */
  exitCode: 0 | 2 | 4 | 99;
  recap: Record<string, HostRecap>;
  durationMs: number;
}

export { EXIT };

/** Throws a UserError (before any event or connection) when the play does not plan. */
export async function runPlay(options: PlayOptions): Promise<PlayResult> {
  const plan = await planPlay({
    runbook: options.runbook,
    inventory: options.inventory,
    registry: options.registry,
    extraVars: options.extraVars ?? {},
    limit: options.limit,
    tags: { only: options.tags ?? [], skip: options.skipTags ?? [] },
    steps: { names: options.steps, startAt: options.startAtStep },
  });
  const fromIndex = options.fromStep === undefined ? 0 : findFrom(plan, options.fromStep);
  const started = Date.now();
  const changed = changedSteps();
  const emitter = new Emitter([...options.sinks, changed.sink]);
  const pool = new ConnectionPool(options.inventory, options.connect ?? {});
  if (options.confirm) assertConfirmable(options.runbook);
  const runOver = new AbortController();
  // Quitting at a --confirm prompt stops the run as an interrupt does.
  const quit = new AbortController();
  const interrupt = options.signal ? AbortSignal.any([options.signal, quit.signal]) : quit.signal;
  const state: RunState = {
    plan,
    registry: options.registry,
    emitter,
    facts: new FactsCache(),
    hosts: new Map(
      plan.hosts.map((name) => [
        name,
        {
          name,
          inventoryHost: options.inventory.hosts.get(name)!,
          registered: {},
          writtenVars: new Set(),
          failedBlocks: new Map(),
          notified: new Set<string>(),
          signals: { interrupt: AbortSignal.any([interrupt]), task: AbortSignal.any([runOver.signal]) },
        },
      ]),
    ),
    recap: Object.fromEntries(plan.hosts.map((h) => [h, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 }])),
    checkMode: options.checkMode ?? false,
    diff: options.diff ?? false,
    projectDir: options.projectDir,
    runId: options.runId,
    signal: interrupt,
    resume: options.resume,
    fromIndex,
    throttles: new Map(),
    machines: new Machines(),
    generation: new Generation(),
    once: new Map(),
    interrupted: false,
    confirm: options.confirm,
    quit: () => {
      state.interrupted = true;
      quit.abort();
    },
  };
  const limit = limiter(Math.max(1, options.forks ?? 10));
  let records: RunRecords | undefined;
  try {
    // Connected and locked before the run starts: a host another run holds refuses the play
    // before anything is journaled or changed.
    await connectAll(state, pool, limit);
    if (!state.checkMode) records = await lockHosts(lockable(state), { id: options.runId, runbook: options.runbook.name, runbookHash: options.runbook.hash, projectDir: options.projectDir }, options.warn ?? (() => {}));
    await emitter.emit({
      type: 'run-start',
      runId: options.runId,
      runbook: options.runbook.name,
      hosts: plan.hosts,
      checkMode: state.checkMode,
      time: new Date(started).toISOString(),
    });
    for (const batch of batches(plan.hosts, options.runbook.serial)) {
      if (state.signal.aborted) {
        state.interrupted = true;
        break;
      }
      state.once.clear();
      const hosts = batch.map((h) => state.hosts.get(h)!);
      if (options.runbook.strategy === 'free') await runFree(state, hosts, limit);
      else await runLinear(state, hosts, limit);
      // As Ansible: when a whole batch failed, later batches do not start.
      if (hosts.every((h) => h.stopped) || state.halted) break;
    }
    const result = finish(state, started);
    await emitter.emit({ type: 'run-end', status: result.status, recap: result.recap, durationMs: result.durationMs });
    return result;
  } finally {
    await records?.finish(hostOutcomes(state, changed.byHost));
    runOver.abort();
    await pool.closeAll();
    await emitter.close();
  }
}

/** The names of the steps that changed each host, for its history line. */
function changedSteps(): { sink: EventSink; byHost: Map<string, string[]> } {
  const byHost = new Map<string, string[]>();
  return {
    byHost,
    sink: {
      emit(e) {
        if (e.type !== 'host-result' || e.status !== 'changed') return;
        const names = byHost.get(e.host) ?? [];
        if (!names.includes(e.stepName)) names.push(e.stepName);
        byHost.set(e.host, names);
      },
    },
  };
}

/** The hosts a run locks: those it reached. */
function lockable(state: RunState): LockedHost[] {
  return [...state.hosts.values()].flatMap((hs) => {
    const locked = hs.shell && lockedHost(hs.inventoryHost, hs.shell, state.plan.varsFor(hs.name, {}));
    return locked ? [locked] : [];
  });
}

function hostOutcomes(state: RunState, changed: Map<string, string[]>): Map<string, Pick<HistoryRecord, 'result' | 'changed'>> {
  return new Map(
    [...state.hosts.keys()].map((h) => {
      const r = state.recap[h];
      const result = r.unreachable > 0 ? 'unreachable' : r.failed > 0 ? 'failed' : state.interrupted ? 'interrupted' : 'ok';
      return [h, { result, changed: changed.get(h) ?? [] }] as const;
    }),
  );
}

function findFrom(plan: Plan, from: string): number {
  const index = plan.items.findIndex((i) => (i.kind === 'step' ? i.planned.id === from || i.planned.step.name === from : i.kind === 'checkpoint' && i.name === from));
  if (index < 0) throw new UserError('usage', `--from ${from}: no step or checkpoint with that id or name in the play`);
  return index;
}

/** Open every play host's connection up front (tasks' peers() needs them); failures show at the host's first step. */
async function connectAll(state: RunState, pool: ConnectionPool, limit: Limiter): Promise<void> {
  await Promise.all(
    [...state.hosts.values()].map((hs) =>
      limit(async () => {
        try {
          const opened = await pool.get(hs.name);
          const { transport } = opened;
          // Only a transport that can batch gains from reading checks ahead (SSH; not local).
          const readAhead = transport.execMany ? new ReadAheadTransport(transport, new ReadAhead(state.generation)) : transport;
          hs.shell = new HostShell(readAhead, opened.loginUser);
        } catch (e) {
          hs.connectError = e;
        }
      }),
    ),
  );
}

async function runLinear(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  const { items } = state.plan;
  for (let i = 0; i < items.length; i++) {
    if (state.signal.aborted) {
      state.interrupted = true;
      return;
    }
    const item = items[i];
    for (const hs of hosts) if (!hs.stopped) leaveBlocks(state, hs, item.kind === 'step' ? item.planned.step : undefined);
    if (item.kind === 'step') await runStepOn(state, item.planned, hosts, limit, i < state.fromIndex);
    else if (item.kind === 'flush_handlers') await runHandlersLinear(state, hosts, limit);
    else await emitCheckpoint(state, item.name, hosts.filter((h) => !h.stopped));
  }
  for (const hs of hosts) if (!hs.stopped) leaveBlocks(state, hs, undefined);
  await runHandlersLinear(state, hosts, limit);
}

async function runStepOn(state: RunState, planned: PlannedStep, hosts: HostState[], limit: Limiter, beforeFrom: boolean): Promise<void> {
  const targets = hosts.filter((h) => !h.stopped && planned.perHost.has(h.name) && inBlockTurn(h, planned.step));
  if (targets.length === 0) return;
  const answer = beforeFrom ? 'run' : await confirmStep(state, planned, targets, limit);
  if (answer === 'quit') return;
  // A run_once step reports on the host that runs it (the first); the others take its result
  // silently, so step-start names only that host (the terminal tree waits for each host it names).
  await stepStart(state, planned, planned.step.runOnce ? targets.slice(0, 1) : targets);
  const each = answer === 'skip' ? (hs: HostState) => skipConfirmed(state, planned, hs) : (hs: HostState) => executeStep(state, planned, hs, beforeFrom);
  await Promise.all(targets.map((hs) => limit(() => each(hs))));
  await state.emitter.emit({ type: 'step-end', stepId: planned.id });
}

function stepStart(state: RunState, planned: PlannedStep, hosts: HostState[]): Promise<void> {
  return state.emitter.emit({
    type: 'step-start',
    stepId: planned.id,
    stepName: planned.step.name,
    task: planned.step.task,
    hosts: hosts.map((h) => h.name),
    handler: planned.handler,
  });
}

/** Each notified handler once, in declaration order, on the hosts that notified it. */
async function runHandlersLinear(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  for (const handler of state.plan.handlers) {
    if (state.signal.aborted) {
      if (hosts.some((h) => h.notified.size > 0)) state.interrupted = true;
      return;
    }
    const notified = hosts.filter((h) => !h.stopped && h.notified.has(handler.id));
    notified.forEach((h) => h.notified.delete(handler.id));
    await runStepOn(state, handler, notified, limit, false);
  }
}

function emitCheckpoint(state: RunState, name: string, reached: HostState[]): Promise<void> {
  if (reached.length === 0) return Promise.resolve();
  return state.emitter.emit({ type: 'checkpoint', name, hosts: reached.map((h) => h.name) });
}

/**
 * strategy free: every host walks the plan on its own. A step's step-start goes out when its
 * first host gets there and step-end when its last host is past it (or stopped); a checkpoint
 * once every host of the batch reached it or stopped.
 */
async function runFree(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  const { items } = state.plan;
  const pending = items.map((item) => new Set(hostsOf(item, hosts).map((h) => h.name)));
  const started = items.map(() => false);
  const reached: string[][] = items.map(() => []);

  // Called when `host` is past item i (done it, or will never do it); settles events in plan order.
  const pass = async (i: number, host: string) => {
    const left = pending[i];
    if (!left.delete(host) || left.size > 0) return;
    const item = items[i];
    if (item.kind === 'step' && started[i]) await state.emitter.emit({ type: 'step-end', stepId: item.planned.id });
    if (item.kind === 'checkpoint' && reached[i].length > 0) await state.emitter.emit({ type: 'checkpoint', name: item.name, hosts: reached[i] });
  };

  const walk = async (hs: HostState) => {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!hs.stopped) leaveBlocks(state, hs, item.kind === 'step' ? item.planned.step : undefined);
      if (hs.stopped || state.signal.aborted) {
        if (state.signal.aborted && !hs.stopped) state.interrupted = true;
        for (let j = i; j < items.length; j++) await pass(j, hs.name);
        return;
      }
      if (item.kind === 'step' && item.planned.perHost.has(hs.name) && inBlockTurn(hs, item.planned.step)) {
        if (!started[i]) {
          started[i] = true;
          await stepStart(state, item.planned, hosts.filter((h) => pending[i].has(h.name)));
        }
        await executeStep(state, item.planned, hs, i < state.fromIndex);
      } else if (item.kind === 'checkpoint') {
        reached[i].push(hs.name);
      } else if (item.kind === 'flush_handlers') {
        await runHandlersFree(state, hs);
      }
      await pass(i, hs.name);
    }
    if (!hs.stopped) leaveBlocks(state, hs, undefined);
    await runHandlersFree(state, hs);
  };
  await Promise.all(hosts.map((hs) => limit(() => walk(hs))));
}

function hostsOf(item: PlannedItem, hosts: HostState[]): HostState[] {
  return item.kind === 'step' ? hosts.filter((h) => item.planned.perHost.has(h.name)) : hosts;
}

async function runHandlersFree(state: RunState, hs: HostState): Promise<void> {
  for (const handler of state.plan.handlers) {
    if (hs.stopped || !hs.notified.has(handler.id)) continue;
    if (state.signal.aborted) {
      state.interrupted = true;
      return;
    }
    hs.notified.delete(handler.id);
    await stepStart(state, handler, [hs]);
    await executeStep(state, handler, hs, false);
    await state.emitter.emit({ type: 'step-end', stepId: handler.id });
  }
}

function finish(state: RunState, started: number): PlayResult {
  const recaps = Object.values(state.recap);
  const unreachable = recaps.some((r) => r.unreachable > 0);
  const failed = recaps.some((r) => r.failed > 0);
  const durationMs = Date.now() - started;
  if (state.interrupted) return { status: 'interrupted', exitCode: EXIT.interrupted, recap: state.recap, durationMs };
  const exitCode = unreachable ? EXIT.unreachable : failed ? EXIT.failed : EXIT.ok;
  return { status: exitCode === 0 ? 'ok' : 'failed', exitCode, recap: state.recap, durationMs };
}
