// What a rollback will undo, worked out from the journal alone: per host, the run's changes newest
// first, each with the way it is undone (its task's undo, the step's undo: steps, none), cut at a
// checkpoint and at the run's oldest point of no return, and an include's undo: steps once its
// changes are undone; then those lists in lock-step rounds, as the play ran. rollback.ts carries
// the plan out.

import { handlerId } from '../engine/handlers.js';
import { UserError } from '../errors.js';
import type { Runbook, StepDecl } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { LoadedRun } from './history.js';
import type { Change } from './state.js';

/** Undo only what came after this checkpoint; `lastReached`: each host's last checkpoint. */
export type RollbackTo = string | { lastReached: true };

export type UndoWay = 'task' | 'undo-steps' | 'not-reversible' | 'irreversible';

export interface PlannedUndo {
  change: Change;
  way: UndoWay;
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
  options: { to?: RollbackTo; hosts?: string[]; registry: TaskRegistry; runbook: Runbook },
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
  addUndoGroups(plan, run, decls, options, undone);
  return plan;
}

/**
 * An include's undo: steps, on each host where it changed something, as one more change just older
 * than the include's oldest (on any host): in lock-step they run once every host has undone the
 * include's changes. Only where the host undoes all of them: a rollback cut short before the
 * include (a checkpoint, a point of no return) leaves the include's state as it is.
 */
function addUndoGroups(plan: Map<string, PlannedUndo[]>, run: LoadedRun, decls: Map<string, StepDecl>, options: { hosts?: string[]; runbook: Runbook }, undone: Set<string>): void {
  for (const group of options.runbook.undoGroups?.values() ?? []) {
    const members = run.state.changes.filter((c) => decls.get(c.stepId)?.undoGroups?.includes(group.id));
    if (members.length === 0) continue;
    const line = Math.min(...members.map((c) => c.line)) - 0.5;
    const key = `${group.id}/undo`;
    for (const host of new Set(members.map((c) => c.host))) {
      if ((options.hosts && !options.hosts.includes(host)) || undone.has(`${host}\0${key}`)) continue;
      const list = plan.get(host) ?? [];
      const planned = new Set(list.filter((u) => u.way !== 'irreversible').map((u) => u.change.key));
      if (!members.every((c) => c.host !== host || planned.has(c.key) || undone.has(`${host}\0${c.key}`))) continue;
      const change: Change = { key, host, stepId: group.id, stepName: group.name, task: 'include', record: undefined, unfinished: false, line };
      const at = list.findIndex((u) => u.change.line < line);
      plan.set(host, at < 0 ? [...list, { change, way: 'undo-steps' }] : [...list.slice(0, at), { change, way: 'undo-steps' }, ...list.slice(at)]);
    }
  }
}

/** The steps that undo a change made by `stepId`: its own undo: block, or its include's (a group). */
export function undoStepsOf(runbook: Runbook, stepId: string): StepDecl[] | undefined {
  return stepsById(runbook).get(stepId)?.undo ?? runbook.undoGroups?.get(stepId)?.steps;
}

/**
 * How many hosts undo a step at once: the step's throttle (a rolling restart is undone one broker at
 * a time, as it ran); an include's undo: steps, the smallest throttle among them.
 */
export function undoRoundSize(runbook: Runbook, stepId: string): number | undefined {
  const group = runbook.undoGroups?.get(stepId);
  if (!group) return stepsById(runbook).get(stepId)?.throttle;
  const throttles = group.steps.flatMap((s) => (s.throttle ? [s.throttle] : []));
  return throttles.length ? Math.min(...throttles) : undefined;
}

/** A change as rollback names it; `host` is the host being rolled back (a barrier may be another's). */
export function describeChange(change: Change, host = change.host): string {
  if (change.task === 'include') return `the include "${change.stepName}"`;
  const item = change.item !== undefined ? ` item ${change.item}` : '';
  const where = change.host !== host ? ` on ${change.host}` : '';
  return `"${change.stepName}"${item} (${change.task}${change.unfinished ? ', interrupted while applying' : ''})${where}`;
}

export function stepsById(runbook: Runbook): Map<string, StepDecl> {
  const byId = new Map<string, StepDecl>();
  for (const item of runbook.items) if (item.kind === 'step') byId.set(item.step.id, item.step);
  for (const h of runbook.handlers) byId.set(handlerId(runbook.handlers, h), h);
  return byId;
}
