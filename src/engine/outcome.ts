// The bookkeeping of a step's outcome: a call's result as Ansible shapes it (record, failure,
// skipped, a loop's aggregate), and the host-result event made from it, secrets redacted and a
// no_log step's words hidden, counted in the recap. step.ts decides what happens; this says so.

import { isUserError } from '../errors.js';
import { catchFailure } from './blocks.js';
import type { FileDiff } from '../task/types.js';
import type { EventError, RunEvent, SkipKind, StepStatus } from './events.js';
import type { Call, PlannedStep } from './plan.js';
import type { HostState, RunState, StepOutcome } from './state.js';

export type HostResult = Extract<RunEvent, { type: 'host-result' }>;

export interface CallOutcome {
  status: Exclude<StepStatus, 'unreachable'>;
  /** Ansible-like result: changed, failed, skipped, msg, and the task's data (rc, stdout, ...). */
  record: Record<string, unknown>;
  summary?: string;
  diff?: FileDiff[];
  /** This call's undo record, when it changed the host. */
  undo?: unknown;
  /** The step's undo records for the event (set once the calls are combined). */
  undoRecords?: HostResult['undo'];
  skip?: SkipKind;
  reason?: string;
  error?: unknown;
  /** Check mode could not tell what the call would do (a command): it would run. */
  unknowable?: boolean;
}


export async function report(
  state: RunState,
  planned: PlannedStep,
  hs: HostState,
  started: number,
  r: ResultFields,
): Promise<StepOutcome> {
  const event: HostResult = { ...shown(state, planned, hs.name, r), durationMs: Date.now() - started };
  await state.emitter.emit(event);

  const recap = state.recap[hs.name];
  const ignored = r.ignored === true;
  if (r.status === 'ok' || r.status === 'changed' || ignored) recap.ok++;
  if (r.status === 'changed') recap.changed++;
  if (r.status === 'skipped') recap.skipped++;
  if (r.status === 'unreachable') recap.unreachable++;
  if (r.status === 'failed' && !ignored) recap.failed++;
  if (ignored) recap.ignored++;
  if (r.status === 'unreachable') hs.stopped = 'unreachable';
  else if (r.status === 'failed' && !ignored && !catchFailure(hs, planned.step)) hs.stopped = 'failed';
  // run_once copies to the other hosts what a no_log step may show of itself, as before.
  const registered = planned.step.noLog ? censored(r).registered : r.registered;
  return { status: r.status, ignored, registered, host: hs.name };
}

export type ResultFields = Omit<HostResult, 'type' | 'host' | 'stepId' | 'stepName' | 'task' | 'durationMs'>;

/** A result as it may leave the engine: secrets redacted, a no_log step's words hidden. */
export function shown(state: RunState, planned: PlannedStep, host: string, fields: ResultFields): HostResult {
  const redact = state.plan.redactor;
  const r = planned.step.noLog ? censored(fields) : fields;
  const event: HostResult = {
    type: 'host-result',
    host,
    stepId: planned.id,
    stepName: planned.step.name,
    task: planned.step.task,
    status: r.status,
    durationMs: 0,
  };
  if (r.reason) event.reason = redact.text(r.reason);
  if (r.summary) event.summary = redact.text(r.summary);
  if (r.diff?.length) event.diff = redact.value(r.diff);
  if (r.error) event.error = redact.value(r.error);
  if (r.undo?.length) event.undo = r.undo;
  if (r.registered) event.registered = redact.value(r.registered);
  if (r.ignored) event.ignored = true;
  return event;
}


/** Ansible's words for a result that no_log hides, kept so that people who grep for them find them. */
const NO_LOG_CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** A no_log step's result as it may be shown and journaled: its status, and nothing it said. */
function censored<R extends { registered?: Record<string, unknown>; error?: EventError; summary?: string; reason?: string; diff?: unknown }>(r: R): R {
  const registered = r.registered && { censored: NO_LOG_CENSORED, changed: r.registered['changed'], failed: r.registered['failed'], skipped: r.registered['skipped'] };
  return {
    ...r,
    summary: undefined,
    diff: undefined,
    reason: r.reason && NO_LOG_CENSORED,
    error: r.error && { kind: r.error.kind, message: NO_LOG_CENSORED },
    registered,
  };
}

/** Mark the handlers `step` notifies as notified (handlers.ts). Restored (resumed) notifications skip handlers the earlier run already ran. */

export function record(status: 'ok' | 'changed' | 'skipped', msg: string | undefined, data: Record<string, unknown> | undefined): Record<string, unknown> {
  return { changed: status === 'changed', failed: false, skipped: status === 'skipped', msg: msg ?? '', ...data };
}

export function failure(e: unknown): CallOutcome {
  const rec: Record<string, unknown> = { changed: false, failed: true, skipped: false, msg: e instanceof Error ? e.message : String(e) };
  // A CommandError (recognised by shape: task modules may carry their own copy of the class).
  const c = e as { code?: unknown; stdout?: unknown; stderr?: unknown };
  if (typeof c.code === 'number' && typeof c.stdout === 'string' && typeof c.stderr === 'string') {
    Object.assign(rec, { rc: c.code, stdout: c.stdout, stderr: c.stderr });
  }
  return { status: 'failed', error: e, record: rec };
}

/** A call its `when` (or an empty loop) skips. */
export function skipped(reason: string): CallOutcome {
  return { status: 'skipped', skip: 'condition', reason, record: { changed: false, failed: false, skipped: true, skip_reason: reason, msg: reason } };
}

export function aggregate(outcomes: CallOutcome[], calls: Call[]): CallOutcome {
  const results = outcomes.map((o, i) => ({ ...o.record, item: calls[i].item?.value }));
  const failed = outcomes.find((o) => o.status === 'failed');
  const changed = outcomes.some((o) => o.status === 'changed');
  const allSkipped = outcomes.every((o) => o.status === 'skipped');
  const status = failed ? 'failed' : changed ? 'changed' : allSkipped ? 'skipped' : 'ok';
  const summaries = outcomes.map((o) => o.summary).filter((s): s is string => !!s);
  return {
    status,
    summary: summaries.length ? summaries.join('; ') : undefined,
    diff: outcomes.flatMap((o) => o.diff ?? []),
    skip: allSkipped ? outcomes[0]?.skip : undefined,
    reason: allSkipped ? outcomes[0]?.reason : undefined,
    unknowable: outcomes.some((o) => o.unknowable) || undefined,
    error: failed?.error,
    record: { changed, failed: !!failed, skipped: allSkipped, msg: failed ? failed.record['msg'] : summaries.join('; '), results },
  };
}


export function eventError(e: unknown): EventError {
  if (isUserError(e)) return { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  // A bug (in runbook or in a task module): keep the stack so it can be reported.
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { kind: 'internal', message };
}

