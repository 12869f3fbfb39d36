// Folds a journal into what resume, rollback and `runs` need: each host's latest state per step,
// the run's status, the checkpoints each host reached, and the changes that rollback can undo.

import type { EventError, HostRecap, SkipKind, StepStatus } from '../engine/events.js';
import type { NumberedLine } from './reader.js';
import type { RunHeader, UndoMarker } from './records.js';

export type RunStatus = 'running' | 'interrupted' | 'failed' | 'ok';

export interface StepState {
  stepId: string;
  stepName: string;
  /** 'started': host-start with no result yet (the controller died or was stopped during it). */
  status: StepStatus | 'started';
  skip?: SkipKind;
  reason?: string;
  error?: EventError;
  ignored?: boolean;
  registered?: Record<string, unknown>;
  line: number;
}

/** One change the run made on a host, as rollback sees it. */
export interface Change {
  /** Stable identity: the journal line it comes from, and the index within that line's undo list. */
  key: string;
  host: string;
  stepId: string;
  stepName: string;
  task: string;
  item?: number;
  /** The task's undo record; undefined when the task has none (command, shell). */
  record: unknown;
  /** From a host-undo whose step never finished: the change may be half applied. */
  unfinished: boolean;
  line: number;
}

export interface RunState {
  status: RunStatus;
  /** host -> stepId -> latest state, in the order the host first reached each step. */
  hosts: Map<string, Map<string, StepState>>;
  /** host -> checkpoint name -> journal line where the host first reached it. */
  checkpoints: Map<string, Map<string, number>>;
  changes: Change[];
  /** How many times the run was started (1 + resumes). */
  attempts: number;
  startTime?: string;
  /** Time of the last record, ms since the epoch. */
  lastAt?: number;
  /** Sum of each attempt's duration, or until the last record for an unfinished attempt. */
  durationMs: number;
  recap?: Record<string, HostRecap>;
}

/** A host-undo not yet followed by its step's result: the change is being applied. */
interface PendingUndo {
  line: number;
  host: string;
  stepId: string;
  task: string;
  item?: number;
  undo: unknown;
}

const UNDO_STATUS: Record<UndoMarker['status'], StepStatus> = {
  undone: 'changed',
  failed: 'failed',
  'not-reversible': 'failed',
  skipped: 'skipped',
};

/**
 * A step a resume or --from passed over: what it did before still stands. Journals written before
 * results carried `skip` said so only in the reason's words.
 */
function passedOver(r: { status: StepStatus | 'started'; skip?: SkipKind; reason?: string }): boolean {
  if (r.status !== 'skipped') return false;
  return r.skip === undefined ? /^(done in an earlier run|before --from)$/.test(r.reason ?? '') : r.skip === 'passed-over';
}

export function foldJournal(header: RunHeader, records: NumberedLine[], isAlive = pidAlive): RunState {
  const hosts = new Map<string, Map<string, StepState>>();
  const checkpoints = new Map<string, Map<string, number>>();
  const changes: Change[] = [];
  const stepNames = new Map(header.steps.map((s) => [s.id, s.name]));
  let pending = new Map<string, PendingUndo>();
  let ended: RunStatus | undefined;
  let pid = header.pid;
  let attempts = 1;
  let durationMs = 0;
  let attemptStart: number | undefined;
  let recap: Record<string, HostRecap> | undefined;
  let lastAt: number | undefined;

  const hostSteps = (host: string) => {
    let steps = hosts.get(host);
    if (!steps) hosts.set(host, (steps = new Map()));
    return steps;
  };
  const flushPending = (host: string, stepId: string, keep: boolean) => {
    for (const [k, p] of pending) {
      if (p.host !== host || p.stepId !== stepId) continue;
      pending.delete(k);
      if (keep) changes.push(unfinishedChange(p));
    }
  };
  const unfinishedChange = (p: PendingUndo): Change => ({
    key: String(p.line),
    host: p.host,
    stepId: p.stepId,
    stepName: stepNames.get(p.stepId) ?? p.stepId,
    task: p.task,
    item: p.item,
    record: p.undo,
    unfinished: true,
    line: p.line,
  });
  const endAttempt = (at: number | undefined) => {
    for (const p of pending.values()) changes.push(unfinishedChange(p));
    pending = new Map();
    if (attemptStart !== undefined && at !== undefined) durationMs += at - attemptStart;
    attemptStart = undefined;
  };

  for (const r of records) {
    lastAt = r.at;
    switch (r.type) {
      case 'run-start':
        attemptStart = r.at;
        break;
      case 'resume':
        endAttempt(lastAt);
        attempts++;
        pid = r.pid;
        ended = undefined;
        break;
      case 'host-start': {
        const steps = hostSteps(r.host);
        const before = steps.get(r.stepId);
        steps.set(r.stepId, { ...before, stepId: r.stepId, stepName: r.stepName, status: 'started', line: r.line });
        break;
      }
      case 'host-undo':
        pending.set(`${r.host}\0${r.stepId}\0${r.item ?? ''}`, { ...r, line: r.line });
        break;
      case 'host-result': {
        const steps = hostSteps(r.host);
        const before = steps.get(r.stepId);
        if (!(passedOver(r) && before && before.status !== 'started')) {
          steps.set(r.stepId, {
            stepId: r.stepId,
            stepName: r.stepName,
            status: r.status,
            ...(r.skip ? { skip: r.skip } : {}),
            reason: r.reason,
            error: r.error,
            ignored: r.ignored,
            registered: r.registered,
            line: r.line,
          });
        }
        flushPending(r.host, r.stepId, r.status === 'failed' || r.status === 'unreachable');
        if (r.status === 'changed') {
          const undo = r.undo ?? [{ task: r.task, record: undefined }];
          undo.forEach((u, i) =>
            changes.push({
              key: `${r.line}:${i}`,
              host: r.host,
              stepId: r.stepId,
              stepName: r.stepName,
              task: u.task,
              item: 'item' in u ? u.item : undefined,
              record: u.record,
              unfinished: false,
              line: r.line,
            }),
          );
        }
        break;
      }
      case 'undo-result':
        // A rollback's own journal: each undo is a step of that run.
        hostSteps(r.host).set(r.key, {
          stepId: r.key,
          stepName: `undo ${r.stepName}`,
          status: UNDO_STATUS[r.status],
          reason: r.message,
          line: r.line,
        });
        break;
      case 'checkpoint':
        for (const host of r.hosts) {
          let reached = checkpoints.get(host);
          if (!reached) checkpoints.set(host, (reached = new Map()));
          if (!reached.has(r.name)) reached.set(r.name, r.line);
        }
        break;
      case 'run-end':
        ended = r.status;
        recap = r.recap;
        endAttempt(r.at);
        break;
    }
  }
  const running = ended === undefined && isAlive(pid);
  if (ended === undefined) endAttempt(lastAt);
  return {
    status: ended ?? (running ? 'running' : 'interrupted'),
    hosts,
    checkpoints,
    changes,
    attempts,
    startTime: header.startTime,
    lastAt,
    durationMs,
    recap,
  };
}

/**
 * Whether a step counts as done for resume: it succeeded (ok/changed), failed with ignore_errors,
 * or was skipped for a reason that still holds (a `when`, tags), not because the run stopped before it.
 */
export function isDone(state: StepState | undefined): boolean {
  if (!state) return false;
  // A failure the step was told to ignore (ignore_errors) let the play go on: the step is behind it.
  if (state.status === 'ok' || state.status === 'changed' || (state.status === 'failed' && state.ignored === true)) return true;
  return state.status === 'skipped' && !passedOver(state);
}

/** Per host: did every step it ran end well (failures it was told to ignore aside)? */
export function hostOutcomes(state: RunState): Map<string, 'ok' | 'failed'> {
  const out = new Map<string, 'ok' | 'failed'>();
  for (const [host, steps] of state.hosts) {
    const bad = [...steps.values()].some(
      (s) => (s.status === 'failed' && !s.ignored) || s.status === 'unreachable' || s.status === 'started',
    );
    out.set(host, bad ? 'failed' : 'ok');
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
