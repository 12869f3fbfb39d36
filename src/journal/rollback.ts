// Rollback: undo a run's recorded changes, newest first, hosts in lock-step as the play ran
// (lockStepRounds). A change is undone by its task's `undo` with the record journaled before the change,
// or, for tasks without one (command, shell), by the step's `undo:` steps. A change with neither
// stops that host's rollback before it, unless forced past. The rollback is a run of its own,
// journaled like a play, and re-running it skips what an earlier rollback already undid.

import { renderBecomeUser } from '../engine/plan.js';
import { handlerId } from '../engine/handlers.js';
import { resolveBecome } from '../transport/become.js';
import type { HostRecap } from '../engine/events.js';
import { UserError } from '../errors.js';
import { hostVars } from '../load/vars.js';
import { controllerInfo } from '../task/controller.js';
import { inventoryVars } from '../load/inventory-query.js';
import { lockedHost, lockHosts, type LockedHost, type RunRecords } from '../engine/host-record.js';
import type { Inventory, Runbook, StepDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { UndoContext } from '../task/types.js';
import type { ConnectOptions } from '../transport/connect.js';
import { HostShell } from '../transport/host.js';
import { ConnectionPool } from '../transport/pool.js';
import { buildHeader } from './header.js';
import { loadRun, undoneChanges, type LoadedRun } from './history.js';
import type { StepSummary, UndoMarker } from './records.js';
import { JournalSink } from './sink.js';
import type { Change } from './state.js';
import { createRun, newRunId } from './store.js';

export type UndoWay = 'task' | 'undo-steps' | 'not-reversible' | 'irreversible';

export interface PlannedUndo {
  change: Change;
  way: UndoWay;
}

/** Runs a step's `undo:` steps on one host (through the engine); throws when one fails. */
export type UndoStepsRunner = (host: string, steps: StepDecl[], signal: AbortSignal) => Promise<void>;

export interface RollbackOptions {
  projectDir: string;
  runId: string;
  /** Undo only what came after this checkpoint; `last-reached`: each host's last checkpoint. */
  to?: string | { lastReached: true };
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
  const plan = planRollback(run, options, undone);
  const total = [...plan.values()].reduce((n, list) => n + list.length, 0);
  if (total === 0) {
    const why = undone.size > 0 ? 'its changes are already undone' : 'it changed nothing';
    options.out(`nothing to undo for run ${options.runId} (${why}); \`runbook runs\` lists the runs, \`runbook rollback <id>\` undoes another`);
    return { undone: 0, failed: 0, blocked: 0 };
  }
  if (options.check) {
    await checkRollback(plan, run, options);
    return { undone: 0, failed: 0, blocked: 0 };
  }

  const id = newRunId();
  const pool = new ConnectionPool(options.inventory, options.connect);
  // The hosts are locked before the rollback is journaled: refused, it leaves no run behind.
  let records: RunRecords;
  try {
    records = await lockHosts(
      await lockableHosts(pool, [...plan.keys()], options),
      { id, runbook: `${run.header.runbook.name} (rollback of ${options.runId})`, runbookHash: run.header.runbook.hash, projectDir: options.projectDir, takeOverFrom: [options.runId] },
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
  const started = Date.now();
  const hosts = [...plan.keys()];
  await journal.append({ type: 'run-start', runId: id, runbook: run.header.runbook.name, hosts, checkMode: false, time: new Date().toISOString() });
  const undoneSteps = new Map<string, string[]>();
  const result: RollbackResult = { id, undone: 0, failed: 0, blocked: 0 };
  const recap: Record<string, HostRecap> = {};
  const stopped = new Set<string>();
  const rollbackOne = async (host: string, list: PlannedUndo[]): Promise<void> => {
    if (stopped.has(host) || options.signal.aborted) return;
    recap[host] ??= { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
    const outcome = await rollbackHost(host, list, run, options, pool, async (marker) => {
      await journal.append(marker);
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
    const decls = stepsById(options.runbook);
    for (const round of lockStepRounds(plan)) {
      if (options.signal.aborted) break;
      // A step that ran `throttle: N` hosts at a time (a rolling restart, an upgrade's switch) is
      // undone the same way, newest first: rolled back all at once, it would take every broker down.
      const hosts = [...round];
      const size = decls.get(hosts[0][1][0].change.stepId)?.throttle ?? hosts.length;
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
    await journal.append({ type: 'run-end', status, recap, durationMs: Date.now() - started });
    await journal.close();
  }
  return result;
}

/**
 * The plan in lock-step, as the play ran: every host undoes a step before any host undoes the one
 * before it (cluster steps depend on each other: a broker must stop while its ZooKeeper quorum is
 * still up). A round is a run of consecutive journal changes of one step; each host keeps its own
 * newest-first order, and a host that stops takes no part in later rounds.
 */
export function lockStepRounds(plan: Map<string, PlannedUndo[]>): Array<Map<string, PlannedUndo[]>> {
  const all = [...plan].flatMap(([host, list]) => list.map((u) => ({ host, u })));
  all.sort((a, b) => b.u.change.line - a.u.change.line || b.u.change.key.localeCompare(a.u.change.key, 'en', { numeric: true }));
  const rounds: Array<Map<string, PlannedUndo[]>> = [];
  let previous: string | undefined;
  for (const { host, u } of all) {
    if (u.change.stepId !== previous || rounds.length === 0) rounds.push(new Map());
    previous = u.change.stepId;
    const round = rounds[rounds.length - 1];
    round.set(host, [...(round.get(host) ?? []), u]);
  }
  return rounds;
}

/** Per host, the changes to undo, newest first. */
export function planRollback(
  run: LoadedRun,
  options: Pick<RollbackOptions, 'to' | 'hosts' | 'registry' | 'runbook'>,
  undone: Set<string>,
): Map<string, PlannedUndo[]> {
  const { to } = options;
  if (typeof to === 'string' && !run.header.checkpoints.some((c) => c.name === to)) {
    const known = run.header.checkpoints.map((c) => c.name);
    throw new UserError('run', `run ${run.header.id} has no checkpoint ${JSON.stringify(to)}`, {
      hint: known.length ? `its checkpoints: ${known.join(', ')}` : 'its runbook has no checkpoints',
    });
  }
  const decls = stepsById(options.runbook);
  const plan = new Map<string, PlannedUndo[]>();
  const changes = [...run.state.changes].sort((a, b) => b.line - a.line || b.key.localeCompare(a.key, 'en', { numeric: true }));
  for (const change of changes) {
    if (options.hosts && !options.hosts.includes(change.host)) continue;
    if (undone.has(`${change.host}\0${change.key}`)) continue;
    const reached = run.state.checkpoints.get(change.host);
    if (typeof to === 'string') {
      const line = reached?.get(to);
      // A host that never reached the checkpoint has nothing after it.
      if (line === undefined || change.line < line) continue;
    } else if (to && reached?.size) {
      if (change.line < Math.max(...reached.values())) continue;
    }
    const way: UndoWay = decls.get(change.stepId)?.irreversible
      ? 'irreversible'
      : change.record !== undefined && options.registry.get(change.task)?.undo
        ? 'task'
        : decls.get(change.stepId)?.undo?.length
          ? 'undo-steps'
          : 'not-reversible';
    let list = plan.get(change.host);
    if (!list) plan.set(change.host, (list = []));
    list.push({ change, way });
  }
  // A point of no return is the run's, not one host's: once any host passed it (a bump run once
  // for the cluster, a quorum started on the controllers alone), no host goes back past it. Each
  // host stops at the oldest one, its own or another's, whichever comes first.
  const barrier = changes.filter((c) => decls.get(c.stepId)?.irreversible).at(-1);
  if (barrier) {
    for (const [host, list] of plan) {
      const at = list.findIndex((u) => u.way === 'irreversible' || u.change.line < barrier.line);
      if (at >= 0) plan.set(host, [...list.slice(0, at), list[at].way === 'irreversible' ? list[at] : { change: barrier, way: 'irreversible' }]);
    }
  }
  return plan;
}

/** --check: what rollback would do, and what changed on the hosts since the run (it would refuse those). */
async function checkRollback(plan: Map<string, PlannedUndo[]>, run: LoadedRun, options: RollbackOptions): Promise<void> {
  const pool = new ConnectionPool(options.inventory, options.connect);
  try {
    for (const [host, list] of plan) {
      let login: HostShell | undefined;
      for (const u of list) {
        if (u.way === 'irreversible') {
          options.out(`${host}: would stop before ${describe(u.change, host)}: it is a point of no return: ${stepsById(options.runbook).get(u.change.stepId)!.irreversible}; older changes stay`);
          break;
        }
        const how =
          u.way === 'not-reversible'
            ? u.change.unfinished
              ? ' (cannot: it did not finish and has no undo; the rest is undone, check it by hand)'
              : ' (NOT REVERSIBLE: no undo for this task and no undo: block)'
            : u.way === 'undo-steps'
              ? ' (by its undo: steps)'
              : '';
        let drift: string | undefined;
        const task = options.registry.get(u.change.task);
        if (u.way === 'task' && task?.drift) {
          try {
            login ??= await openLogin(pool, host);
            drift = await task.drift(undoContext(host, login, u.change, run, options), u.change.record);
          } catch (e) {
            drift = `cannot tell whether it changed since the run: ${(e as Error).message}`;
          }
        }
        const refusal = drift ? ` -- BUT ${drift}: rollback will refuse it${options.force ? ' (--force: it will overwrite it)' : ' unless --force'}` : '';
        options.out(`${host}: would undo ${describe(u.change)}${how}${refusal}`);
      }
    }
  } finally {
    await pool.closeAll();
  }
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

async function openLogin(pool: ConnectionPool, host: string): Promise<HostShell> {
  const opened = await pool.get(host);
  return new HostShell(opened.transport, opened.loginUser);
}

/** The context a task's undo (and drift) runs in: the step's become, the host's vars as they are now. */
function undoContext(host: string, login: HostShell, change: Change, run: LoadedRun, options: RollbackOptions): UndoContext {
  const decl = stepsById(options.runbook).get(change.stepId);
  const step = run.header.steps.find((s) => s.id === change.stepId);
  const vars = hostVars(options.runbook, options.inventory, host, options.extraVars, decl?.scope ?? {});
  return {
    host,
    shell: withBecome(login, step, decl, options.inventory, host, vars),
    vars,
    log: (m) => options.out(`${host}: ${m}`),
    // The step's own runbook file, as when the change was made (the top runbook's when the step is gone).
    controller: controllerInfo(options.projectDir, options.runId, decl ?? { runbookDir: options.runbook.dir }),
    signal: options.signal,
  };
}

async function rollbackHost(
  host: string,
  list: PlannedUndo[],
  run: LoadedRun,
  options: RollbackOptions,
  pool: ConnectionPool,
  record: (marker: UndoMarker) => Promise<void>,
): Promise<'done' | 'stopped' | 'unreachable'> {
  const decls = stepsById(options.runbook);
  let login: HostShell;
  try {
    login = await openLogin(pool, host);
  } catch (e) {
    options.out(`${host}: UNREACHABLE: ${(e as Error).message}`);
    return 'unreachable';
  }
  for (const { change, way } of list) {
    if (options.signal.aborted) return 'stopped';
    const marker = (status: UndoMarker['status'], message?: string): UndoMarker => ({
      type: 'undo-result',
      host,
      key: change.key,
      stepId: change.stepId,
      stepName: change.stepName,
      task: change.task,
      status,
      ...(message ? { message } : {}),
    });
    if (way === 'irreversible') {
      const why = decls.get(change.stepId)!.irreversible!;
      options.out(`${host}: stopped before ${describe(change, host)}: it is a point of no return: ${why}; older changes are left in place`);
      await record(marker('not-reversible', `a point of no return: ${why}`));
      return 'stopped';
    }
    if (way === 'not-reversible') {
      const why = `step "${change.stepName}" (${change.task}) cannot be undone: the task has no undo and the step no undo: block`;
      if (change.unfinished) {
        // It failed or was cut off: nothing says it changed anything, and nothing could undo it if
        // it did. The changes before it are still undone; the user is told what to look at.
        options.out(`${host}: could not undo ${describe(change)}: it failed before it finished and cannot be undone; check by hand what it may have done`);
        await record(marker('skipped', `${why}; it did not finish`));
        continue;
      }
      if (options.force) {
        options.out(`${host}: skipped ${describe(change)}: not reversible (--force)`);
        await record(marker('skipped', why));
        continue;
      }
      options.out(`${host}: stopped before ${describe(change)}: not reversible; older changes are left in place (--force skips it)`);
      await record(marker('not-reversible', why));
      return 'stopped';
    }
    try {
      if (way === 'task') {
        const task = options.registry.get(change.task)!;
        const ctx = undoContext(host, login, change, run, options);
        const drift = task.drift && !options.force ? await task.drift(ctx, change.record) : undefined;
        if (drift) {
          options.out(`${host}: refused to undo ${describe(change)}: ${drift}; older changes are left in place (--force overwrites it)`);
          await record(marker('failed', `${drift}; not overwritten (--force to)`));
          return 'stopped';
        }
        await task.undo!(ctx, change.record);
      } else {
        await options.runUndoSteps(host, decls.get(change.stepId)!.undo!, options.signal);
      }
      options.out(`${host}: undone ${describe(change)}`);
      await record(marker('undone'));
    } catch (e) {
      const message = (e as Error).message;
      options.out(`${host}: FAILED to undo ${describe(change)}: ${message}`);
      await record(marker('failed', message));
      // Older changes may depend on this one being undone first: stop this host here.
      return 'stopped';
    }
  }
  return 'done';
}

/** A change as rollback names it; `host` is the host being rolled back (a barrier may be another's). */
function describe(change: Change, host = change.host): string {
  const item = change.item !== undefined ? ` item ${change.item}` : '';
  const where = change.host !== host ? ` on ${change.host}` : '';
  return `"${change.stepName}"${item} (${change.task}${change.unfinished ? ', interrupted while applying' : ''})${where}`;
}

/** The step's become, as the engine applied it when the change was made (become_user rendered for the host). */
function withBecome(shell: HostShell, step: StepSummary | undefined, decl: StepDecl | undefined, inventory: Inventory, host: string, vars: Vars): HostShell {
  const becomeUser = decl ? renderBecomeUser(decl, vars) : step?.becomeUser;
  const become = resolveBecome(step && { become: step.become, becomeUser }, inventory.hosts.get(host), vars);
  return become ? shell.withBecome(become) : shell;
}

function stepsById(runbook: Runbook): Map<string, StepDecl> {
  const byId = new Map<string, StepDecl>();
  for (const item of runbook.items) if (item.kind === 'step') byId.set(item.step.id, item.step);
  for (const h of runbook.handlers) byId.set(handlerId(runbook.handlers, h), h);
  return byId;
}

