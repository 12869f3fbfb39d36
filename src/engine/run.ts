// The executor. Plans the play (nothing touches a host until every step validated), opens one
// connection per host, then runs the plan batch by batch (serial), in lock-step (linear: every
// host finishes step k before any starts k+1) or with each host on its own (free; both in
// strategy.ts), runs the notified handlers, and reports every result as an event.

import { Machines } from './machine.js';
import { UserError } from '../errors.js';
import type { ConnectOptions } from '../transport/connect.js';
import { HostShell } from '../transport/host.js';
import { ConnectionPool } from '../transport/pool.js';
import { Emitter } from './emitter.js';
import { EXIT } from './exit-codes.js';
import type { EventSink, HostRecap } from './events.js';
import { FactsCache } from './facts.js';
import { limiter, type Limiter } from './limit.js';
import { batches, type Plan } from './plan.js';
import type { ResumeSource, RunState } from './state.js';
import { ReadAhead, ReadAheadTransport, Generation } from './read-ahead.js';
import { assertConfirmable, type Confirm } from './confirm.js';
import { runFree, runLinear } from './strategy.js';
import { lockedHost, lockHosts, type HistoryRecord, type LockedHost, type RunRecords } from './host-record.js';

export interface PlayOptions {
  /** The play, planned (planPlay): its runbook, inventory, registry, hosts and rendered steps. */
  plan: Plan;
  /** --check: only `check`, never `apply` (a step's check_mode overrides). */
  checkMode?: boolean;
  /** --diff: put file diffs into host-result events. */
  diff?: boolean;
  /** --forks: at most this many hosts work at once (default 10). */
  forks?: number;
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
  /** false: the caller holds the hosts' locks and writes their history (rollback running undo: steps). */
  takeLocks?: boolean;
  /** The caller's connections (rollback's, for undo: steps): used, and left open for it. */
  pool?: ConnectionPool;
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

export async function runPlay(options: PlayOptions): Promise<PlayResult> {
  const { plan } = options;
  const { runbook, inventory } = plan;
  const fromIndex = options.fromStep === undefined ? 0 : findFrom(plan, options.fromStep);
  const started = Date.now();
  const changed = changedSteps();
  const emitter = new Emitter([...options.sinks, changed.sink]);
  const pool = options.pool ?? new ConnectionPool(inventory, options.connect ?? {});
  if (options.confirm) assertConfirmable(runbook);
  const runOver = new AbortController();
  // Quitting at a --confirm prompt stops the run as an interrupt does.
  const quit = new AbortController();
  const interrupt = options.signal ? AbortSignal.any([options.signal, quit.signal]) : quit.signal;
  const state: RunState = {
    plan,
    registry: plan.registry,
    emitter,
    facts: new FactsCache(),
    hosts: new Map(
      plan.hosts.map((name) => [
        name,
        {
          name,
          inventoryHost: inventory.hosts.get(name)!,
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
    if (!state.checkMode && options.takeLocks !== false) records = await lockHosts(lockable(state), { id: options.runId, runbook: runbook.name, runbookHash: runbook.hash, projectDir: options.projectDir }, options.warn ?? (() => {}));
    await emitter.emit({
      type: 'run-start',
      runId: options.runId,
      runbook: runbook.name,
      hosts: plan.hosts,
      checkMode: state.checkMode,
      time: new Date(started).toISOString(),
    });
    for (const batch of batches(plan.hosts, runbook.serial)) {
      if (state.signal.aborted) {
        state.interrupted = true;
        break;
      }
      state.once.clear();
      const hosts = batch.map((h) => state.hosts.get(h)!);
      if (runbook.strategy === 'free') await runFree(state, hosts, limit);
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
    if (!options.pool) await pool.closeAll();
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

function finish(state: RunState, started: number): PlayResult {
  const recaps = Object.values(state.recap);
  const unreachable = recaps.some((r) => r.unreachable > 0);
  const failed = recaps.some((r) => r.failed > 0);
  const durationMs = Date.now() - started;
  if (state.interrupted) return { status: 'interrupted', exitCode: EXIT.interrupted, recap: state.recap, durationMs };
  const exitCode = unreachable ? EXIT.unreachable : failed ? EXIT.failed : EXIT.ok;
  return { status: exitCode === 0 ? 'ok' : 'failed', exitCode, recap: state.recap, durationMs };
}
