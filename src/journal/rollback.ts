// Rollback: undo a run's recorded changes, newest first, hosts in lock-step as the play ran
// (lockStepRounds). A change is undone by its task's `undo` with the record journaled before the change,
// or, for tasks without one (command, shell), by the step's `undo:` steps. A change with neither
// stops that host's rollback before it, unless forced past. The rollback is a run of its own,
// journaled like a play, and re-running it skips what an earlier rollback already undid. What it
// does is told as engine events (run-start, a host-result per change, host-log, run-end) to the
// display sinks the caller gives: the human lines (ui/rollback-lines.ts) or --json.
// Here: the run as a whole (plan, lock, rounds, journal); what to undo is worked out in
// rollback-plan.ts, each host's undo (and --check) is carried out in rollback-host.ts.

import { Emitter } from '../engine/emitter.js';
import type { EventSink, HostRecap } from '../engine/events.js';
import { UserError } from '../errors.js';
import { inventoryVars } from '../load/inventory-query.js';
import { hostVars } from '../load/vars.js';
import { Redactor } from '../engine/redact.js';
import { revealedSecrets } from '../vault/keyring.js';
import { lockedHost, lockHosts, type LockedHost, type RunRecords } from '../engine/host-record.js';
import type { Inventory, Runbook, StepDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { ConnectOptions } from '../transport/connect.js';
import { ConnectionPool } from '../transport/pool.js';
import { buildHeader } from './header.js';
import { checkRollback, openLogin, rollbackHost } from './rollback-host.js';
import { lockStepRounds, planRollback, undoRoundSize, type PlannedUndo, type RollbackTo } from './rollback-plan.js';
import { loadRun, undoneChanges } from './history.js';
import { JournalSink } from './sink.js';
import { createRun, newRunId } from './store.js';

/** Runs `undo:` steps on one host (through the engine, on the rollback's connection); throws when one fails. */
export type UndoStepsRunner = (host: string, steps: StepDecl[], signal: AbortSignal, pool: ConnectionPool) => Promise<void>;

export interface RollbackOptions {
  projectDir: string;
  runId: string;
  /** Undo only what came after this checkpoint; `last-reached`: each host's last checkpoint. */
  to?: RollbackTo;
  /** Only these hosts (default: every host with changes). */
  hosts?: string[];
  check: boolean;
  force: boolean;
  registry: TaskRegistry;
  /** The runbook as it is now: where `undo:` steps, step scopes and become come from. */
  runbook: Runbook;
  inventory: Inventory;
  extraVars: Vars;
  connect: ConnectOptions;
  runUndoSteps: UndoStepsRunner;
  argv: string[];
  signal: AbortSignal;
  /** Where the rollback's events go (the journal keeps its own records). */
  sinks: EventSink[];
  /** Lines about the run as a whole: nothing to undo, a warning. */
  out(line: string): void;
}

export interface RollbackResult {
  /** The rollback's own run id (absent under --check or when there was nothing to undo). */
  id?: string;
  undone: number;
  failed: number;
  /** Changes that stopped a host's rollback: not reversible, and not forced past. */
  blocked: number;
}

export async function rollbackRun(options: RollbackOptions): Promise<RollbackResult> {
  const run = await loadRun(options.projectDir, options.runId);
  if (run.header.kind !== 'play') {
    throw new UserError('run', `run ${options.runId} is itself a rollback`, { hint: `roll back run ${run.header.rollbackOf} instead` });
  }
  if (run.state.status === 'running') {
    throw new UserError('run', `run ${options.runId} is still running`, { hint: 'wait for it, or stop it first' });
  }
  const { changes: undone } = await undoneChanges(options.projectDir, options.runId);
  // The run's tasks, also those the runbook as it is now no longer names.
  await options.registry.load(run.state.changes.map((c) => c.task));
  const plan = planRollback(run, options, undone);
  const total = [...plan.values()].reduce((n, list) => n + list.length, 0);
  if (total === 0) {
    const why = undone.size > 0 ? 'its changes are already undone' : 'it changed nothing';
    options.out(`nothing to undo for run ${options.runId} (${why}); \`runbook runs\` lists the runs, \`runbook rollback <id>\` undoes another`);
    return { undone: 0, failed: 0, blocked: 0 };
  }
  const runbookName = `${run.header.runbook.name} (rollback of ${options.runId})`;
  const redactor = rollbackRedactor(options, [...plan.keys()]);
  const sinks = options.sinks.map((sink) => redactingSink(sink, redactor));
  if (options.check) {
    const display = new Emitter(sinks);
    const started = Date.now();
    await display.emit({ type: 'run-start', runId: options.runId, runbook: runbookName, hosts: [...plan.keys()], checkMode: true, time: new Date().toISOString() });
    try {
      await checkRollback(plan, run, options, display);
    } finally {
      await display.emit({ type: 'run-end', status: 'ok', recap: {}, durationMs: Date.now() - started });
      await display.close();
    }
    return { undone: 0, failed: 0, blocked: 0 };
  }

  const id = newRunId();
  const pool = new ConnectionPool(options.inventory, options.connect);
  // The hosts are locked before the rollback is journaled: refused, it leaves no run behind.
  let records: RunRecords;
  try {
    records = await lockHosts(
      await lockableHosts(pool, [...plan.keys()], options),
      { id, runbook: runbookName, runbookHash: run.header.runbook.hash, projectDir: options.projectDir, takeOverFrom: [options.runId] },
      (m) => options.out(`warning: ${m}`),
    );
  } catch (e) {
    await pool.closeAll();
    throw e;
  }
  const dir = await createRun(
    buildHeader({
      id,
      kind: 'rollback',
      rollbackOf: options.runId,
      projectDir: options.projectDir,
      runbook: options.runbook,
      inventory: options.inventory,
      extraVars: options.extraVars,
      options: { checkMode: false },
      argv: options.argv,
    }),
  );
  const journal = await JournalSink.open(dir);
  const display = new Emitter(sinks);
  const started = Date.now();
  const hosts = [...plan.keys()];
  await journal.append({ type: 'run-start', runId: id, runbook: run.header.runbook.name, hosts, checkMode: false, time: new Date().toISOString() });
  await display.emit({ type: 'run-start', runId: id, runbook: runbookName, hosts, checkMode: false, time: new Date().toISOString() });
  const undoneSteps = new Map<string, string[]>();
  const result: RollbackResult = { id, undone: 0, failed: 0, blocked: 0 };
  const recap: Record<string, HostRecap> = {};
  const stopped = new Set<string>();
  const rollbackOne = async (host: string, list: PlannedUndo[]): Promise<void> => {
    if (stopped.has(host) || options.signal.aborted) return;
    recap[host] ??= { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
    const outcome = await rollbackHost(host, list, run, options, pool, display, async (marker) => {
      await journal.append(redactor.value(marker));
      const counts = recap[host];
      switch (marker.status) {
        case 'undone':
          result.undone++;
          counts.changed++;
          undoneSteps.set(host, [...(undoneSteps.get(host) ?? []), `undo ${marker.stepName}`]);
          break;
        case 'failed':
          result.failed++;
          counts.failed++;
          break;
        case 'not-reversible':
          result.blocked++;
          counts.failed++;
          break;
        case 'skipped':
          counts.skipped++;
          break;
      }
    });
    if (outcome !== 'done') stopped.add(host);
    if (outcome === 'unreachable') recap[host].unreachable++;
  };
  try {
    for (const round of lockStepRounds(plan)) {
      if (options.signal.aborted) break;
      // A step that ran `throttle: N` hosts at a time (a rolling restart, an upgrade's switch) is
      // undone the same way, newest first: rolled back all at once, it would take every broker down.
      // An include's undo: steps go as many hosts at a time as their smallest throttle.
      const hosts = [...round];
      const size = undoRoundSize(options.runbook, hosts[0][1][0].change.stepId) ?? hosts.length;
      for (let i = 0; i < hosts.length; i += size) await Promise.all(hosts.slice(i, i + size).map(([host, list]) => rollbackOne(host, list)));
    }
  } finally {
    await records.finish(
      new Map(
        hosts.map((h) => {
          const r = recap[h];
          const outcome = !r ? 'ok' : r.unreachable ? 'unreachable' : r.failed ? 'failed' : options.signal.aborted ? 'interrupted' : 'ok';
          return [h, { result: outcome, changed: undoneSteps.get(h) ?? [] }] as const;
        }),
      ),
    );
    await pool.closeAll();
    const bad = result.failed + result.blocked + Object.values(recap).reduce((n, r) => n + r.unreachable, 0) > 0;
    const status = options.signal.aborted ? 'interrupted' : bad ? 'failed' : 'ok';
    const end = { type: 'run-end', status, recap, durationMs: Date.now() - started } as const;
    await journal.append(end);
    await journal.close();
    await display.emit(end);
    await display.close();
  }
  return result;
}

/**
 * The secrets a rollback may come across (an undo's output, a failure's message): as a play's,
 * the values of the hosts' secret vars and whatever a vault revealed.
 */
function rollbackRedactor(options: RollbackOptions, hosts: string[]): Redactor {
  const redactor = new Redactor();
  for (const value of revealedSecrets()) redactor.add(value);
  for (const host of hosts) {
    if (options.inventory.hosts.has(host)) redactor.addSecretVars(hostVars(options.runbook, options.inventory, host, options.extraVars, {}), options.runbook);
  }
  return redactor;
}

/** A display sink that gets every event with the secrets masked. */
function redactingSink(sink: EventSink, redactor: Redactor): EventSink {
  return { emit: (e) => sink.emit(redactor.value(e)), ...(sink.close ? { close: () => sink.close!() } : {}) };
}

/** The reachable hosts of a rollback as it locks them (an unreachable one is reported by its undo). */
async function lockableHosts(pool: ConnectionPool, hosts: string[], options: RollbackOptions): Promise<LockedHost[]> {
  const found = await Promise.all(
    hosts.map(async (host) => {
      const inventoryHost = options.inventory.hosts.get(host);
      if (!inventoryHost) return undefined;
      try {
        return lockedHost(inventoryHost, await openLogin(pool, host), { ...inventoryVars(options.inventory, host), ...options.extraVars });
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((h): h is LockedHost => h !== undefined);
}
