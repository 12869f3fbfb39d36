// One host's part of a rollback: undoing its planned changes newest first (through the task's
// undo, after checking the host did not change since the run, or the step's undo: steps), each
// journaled as it is undone; and for --check, what would be undone and what changed meanwhile.
// Each change's outcome is a host-result event (the change's step, a status, the sentence that
// says it) on the rollback's display sinks. rollback.ts plans the run (rollback-plan.ts) and
// locks the hosts.

import { renderBecomeUser } from '../engine/plan.js';
import { resolveBecome } from '../transport/become.js';
import { hostVars } from '../load/vars.js';
import { controllerInfo } from '../task/controller.js';
import type { Emitter } from '../engine/emitter.js';
import type { StepStatus } from '../engine/events.js';
import type { Inventory, StepDecl, Vars } from '../model.js';
import type { UndoContext } from '../task/types.js';
import { HostShell } from '../transport/host.js';
import { ConnectionPool } from '../transport/pool.js';
import { describeChange, stepsById, undoStepsOf, type PlannedUndo } from './rollback-plan.js';
import type { LoadedRun } from './history.js';
import type { StepSummary, UndoMarker } from './records.js';
import type { Change } from './state.js';
import type { RollbackOptions } from './rollback.js';

/** One change's outcome on a host, as the event the display sinks get. */
export function report(display: Emitter, host: string, change: Change, status: StepStatus, summary: string, started: number): Promise<void> {
  return display.emit({ type: 'host-result', host, stepId: change.stepId, stepName: change.stepName, task: change.task, status, summary, durationMs: Date.now() - started });
}

/** --check: what rollback would do, and what changed on the hosts since the run (it would refuse those). */
export async function checkRollback(plan: Map<string, PlannedUndo[]>, run: LoadedRun, options: RollbackOptions, display: Emitter): Promise<void> {
  const pool = new ConnectionPool(options.inventory, options.connect);
  try {
    for (const [host, list] of plan) {
      let login: HostShell | undefined;
      for (const u of list) {
        const started = Date.now();
        if (u.way === 'irreversible') {
          const why = stepsById(options.runbook).get(u.change.stepId)!.irreversible;
          await report(display, host, u.change, 'failed', `would stop before ${describeChange(u.change, host)}: it is a point of no return: ${why}; older changes stay`, started);
          break;
        }
        const how =
          u.way === 'not-reversible'
            ? u.change.unfinished
              ? ' (cannot: it did not finish and has no undo; the rest is undone, check it by hand)'
              : ' (NOT REVERSIBLE: no undo for this task and no undo: block)'
            : u.way === 'undo-steps'
              ? ' (by its undo: steps)'
              : stepsById(options.runbook).get(u.change.stepId)?.undo
                ? ' (its undo: steps first)'
                : '';
        let drift: string | undefined;
        const task = options.registry.get(u.change.task);
        if (u.way === 'task' && task?.drift) {
          try {
            login ??= await openLogin(pool, host);
            drift = await task.drift(undoContext(host, login, u.change, run, options, display), u.change.record);
          } catch (e) {
            drift = `cannot tell whether it changed since the run: ${(e as Error).message}`;
          }
        }
        const stepsFirst = u.way === 'task' && stepsById(options.runbook).get(u.change.stepId)?.undo !== undefined;
        const refusal = !drift
          ? ''
          : options.force
            ? ` -- BUT ${drift}: rollback will overwrite it (--force)`
            : stepsFirst
              ? ` -- BUT ${drift}: its undo: steps run first; rollback refuses it if they leave it so, unless --force`
              : ` -- BUT ${drift}: rollback will refuse it unless --force`;
        // A drift the step's undo: steps may clear is not counted a refusal: clearing it is what they are for.
        const refused = !options.force && ((drift !== undefined && !stepsFirst) || (u.way === 'not-reversible' && !u.change.unfinished));
        const status = u.way === 'not-reversible' && (u.change.unfinished || options.force) ? 'skipped' : refused ? 'failed' : 'changed';
        await report(display, host, u.change, status, `would undo ${describeChange(u.change)}${how}${refusal}`, started);
      }
    }
  } finally {
    await pool.closeAll();
  }
}

export async function openLogin(pool: ConnectionPool, host: string): Promise<HostShell> {
  const opened = await pool.get(host);
  return new HostShell(opened.transport, opened.loginUser);
}

/** The context a task's undo (and drift) runs in: the step's become, the host's vars as they are now. */
function undoContext(host: string, login: HostShell, change: Change, run: LoadedRun, options: RollbackOptions, display: Emitter): UndoContext {
  const decl = stepsById(options.runbook).get(change.stepId);
  const step = run.header.steps.find((s) => s.id === change.stepId);
  const vars = hostVars(options.runbook, options.inventory, host, options.extraVars, decl?.scope ?? {});
  return {
    host,
    shell: withBecome(login, step, decl, options.inventory, host, vars),
    vars,
    log: (message) => void display.emit({ type: 'host-log', host, stepId: change.stepId, message }).catch(() => {}),
    // The step's own runbook file, as when the change was made (the top runbook's when the step is gone).
    controller: controllerInfo(options.projectDir, options.runId, decl ?? { runbookDir: options.runbook.dir }),
    signal: options.signal,
  };
}

export async function rollbackHost(
  host: string,
  list: PlannedUndo[],
  run: LoadedRun,
  options: RollbackOptions,
  pool: ConnectionPool,
  display: Emitter,
  record: (marker: UndoMarker) => Promise<void>,
): Promise<'done' | 'stopped' | 'unreachable'> {
  const decls = stepsById(options.runbook);
  let login: HostShell;
  try {
    login = await openLogin(pool, host);
  } catch (e) {
    await report(display, host, list[0].change, 'unreachable', `UNREACHABLE: ${(e as Error).message}`, Date.now());
    return 'unreachable';
  }
  for (const { change, way } of list) {
    if (options.signal.aborted) return 'stopped';
    const started = Date.now();
    const say = (status: StepStatus, summary: string) => report(display, host, change, status, summary, started);
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
      await say('failed', `stopped before ${describeChange(change, host)}: it is a point of no return: ${why}; older changes are left in place`);
      await record(marker('not-reversible', `a point of no return: ${why}`));
      return 'stopped';
    }
    if (way === 'not-reversible') {
      const why = `step "${change.stepName}" (${change.task}) cannot be undone: the task has no undo and the step no undo: block`;
      if (change.unfinished) {
        // It failed or was cut off: nothing says it changed anything, and nothing could undo it if
        // it did. The changes before it are still undone; the user is told what to look at.
        await say('skipped', `could not undo ${describeChange(change)}: it failed before it finished and cannot be undone; check by hand what it may have done`);
        await record(marker('skipped', `${why}; it did not finish`));
        continue;
      }
      if (options.force) {
        await say('skipped', `skipped ${describeChange(change)}: not reversible (--force)`);
        await record(marker('skipped', why));
        continue;
      }
      await say('failed', `stopped before ${describeChange(change)}: not reversible; older changes are left in place (--force skips it)`);
      await record(marker('not-reversible', why));
      return 'stopped';
    }
    try {
      if (way === 'task') {
        const task = options.registry.get(change.task)!;
        const ctx = undoContext(host, login, change, run, options, display);
        const driftNow = async () => (task.drift && !options.force ? await task.drift(ctx, change.record) : undefined);
        let drift = await driftNow();
        // The step's undo: steps first: they clear away what grew from the change (a controller's
        // metadata log in the directory it formatted) before the task puts the change back. What
        // they are for may be what the drift check found (files added to a directory the step
        // made): so a change found altered is refused only if it still is once they ran.
        const first = decls.get(change.stepId)?.undo;
        if (first) {
          await options.runUndoSteps(host, first, options.signal, pool);
          if (drift) drift = await driftNow();
        }
        if (drift) {
          const after = first ? ', still after its undo: steps ran' : '';
          await say('failed', `refused to undo ${describeChange(change)}: ${drift}${after}; older changes are left in place (--force overwrites it)`);
          await record(marker('failed', `${drift}${after}; not overwritten (--force to)`));
          return 'stopped';
        }
        await task.undo!(ctx, change.record);
      } else {
        await options.runUndoSteps(host, undoStepsOf(options.runbook, change.stepId)!, options.signal, pool);
      }
      await say('changed', `undone ${describeChange(change)}`);
      await record(marker('undone'));
    } catch (e) {
      const message = (e as Error).message;
      await say('failed', `FAILED to undo ${describeChange(change)}: ${message}`);
      await record(marker('failed', message));
      // Older changes may depend on this one being undone first: stop this host here.
      return 'stopped';
    }
  }
  return 'done';
}

/** The step's become, as the engine applied it when the change was made (become_user rendered for the host). */
function withBecome(shell: HostShell, step: StepSummary | undefined, decl: StepDecl | undefined, inventory: Inventory, host: string, vars: Vars): HostShell {
  const becomeUser = decl ? renderBecomeUser(decl, vars) : step?.becomeUser;
  const become = resolveBecome(step && { become: step.become, becomeUser }, inventory.hosts.get(host), vars);
  return become ? shell.withBecome(become) : shell;
}
