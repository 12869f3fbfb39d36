// Runs one planned step on one host: resume/--from skipping, run_once, `when`, loop items (each
// a call, call.ts: retries, deadline, check then apply, changed_when/failed_when), the checks
// read ahead, register, notify, and the host-result event with the host's recap.

import { isUnreachable } from '../errors.js';
import { evaluateCondition, renderValue } from '../template/index.js';
import type { StepDecl, Vars } from '../model.js';
import type { HostShell } from '../transport/host.js';
import { callVars, collectSecretArgs, falseWhen, renderCalls, type PlannedStep } from './plan.js';
import type { HostPreview } from './confirm.js';
import { Emitter } from './emitter.js';
import type { HostState, RunState, StepOutcome } from './state.js';
import { limiter } from './limit.js';
import { ReadAheadTransport } from './read-ahead.js';
import { readChecksAhead } from './read-checks.js';
import { reachedBy } from './handlers.js';
import { rememberFailure } from './blocks.js';
import { aggregate, eventError, failure, report, shown, skipped, type CallOutcome, type ResultFields } from './outcome.js';
import { runCall, stepVars, withStepBecome } from './call.js';

/**
 * Run `planned` on `hs`. `beforeFrom`: the item lies before --from (skipped, with its earlier
 * registered value restored when the journal has one).
 */
export async function executeStep(state: RunState, planned: PlannedStep, hs: HostState, beforeFrom: boolean): Promise<void> {
  if (hs.stopped || halt(state, planned, hs)) return;
  if (state.signal.aborted) {
    state.interrupted = true;
    return;
  }
  if (!planned.step.runOnce) {
    await throttled(state, planned, async () => {
      // Hosts queued behind one that failed an any_errors_fatal step (throttle) do not start it.
      if (halt(state, planned, hs)) return;
      haltOn(state, planned, hs, await runOnHost(state, planned, hs, beforeFrom));
    });
    return;
  }
  // run_once: the first host to get here runs the step; the others take its result.
  const first = state.once.get(planned.id);
  if (!first) {
    const running = throttled(state, planned, () => runOnHost(state, planned, hs, beforeFrom));
    state.once.set(planned.id, running);
    haltOn(state, planned, hs, await running);
    return;
  }
  const outcome = await first;
  keepResult(state, hs, planned.step, outcome.registered);
  if (outcome.status === 'failed' && !outcome.ignored) {
    await report(state, planned, hs, Date.now(), {
      status: 'failed',
      error: { kind: 'task', message: `run_once step failed on ${outcome.host}` },
    });
  }
}

/** A failed any_errors_fatal step (run_once too) stops the play for every host, those outside the step included. */
function haltOn(state: RunState, planned: PlannedStep, hs: HostState, outcome: StepOutcome): void {
  if (planned.step.anyErrorsFatal && outcome.status === 'failed' && !outcome.ignored && hs.stopped === 'failed') state.halted = `${hs.name} failed "${planned.step.name}" (any_errors_fatal)`;
}

/**
 * Stops `hs` when a host failed an any_errors_fatal step (Ansible's keyword): nothing more runs
 * anywhere. The steps it did not start stay undone in the journal, so `resume` runs them.
 */
function halt(state: RunState, planned: PlannedStep, hs: HostState): boolean {
  if (!state.halted) return false;
  hs.stopped = 'halted';
  void state.emitter.emit({ type: 'host-log', host: hs.name, stepId: planned.id, message: `not started: ${state.halted}` }).catch(() => {});
  return true;
}

/** `throttle: N`: at most N hosts inside the step at once, on top of --forks. */
function throttled<T>(state: RunState, planned: PlannedStep, run: () => Promise<T>): Promise<T> {
  const max = planned.step.throttle;
  if (max === undefined) return run();
  let limit = state.throttles.get(planned.id);
  if (!limit) state.throttles.set(planned.id, (limit = limiter(max)));
  return limit(run);
}

async function runOnHost(state: RunState, planned: PlannedStep, hs: HostState, beforeFrom: boolean): Promise<StepOutcome> {
  const { step } = planned;
  const started = Date.now();
  const rereads = state.registry.get(step.task)?.setsVars?.fromFiles;
  const earlier = planned.handler || rereads ? undefined : state.resume?.done(hs.name, planned.id);
  if (beforeFrom || (earlier && state.fromIndex === 0)) {
    keepResult(state, hs, step, earlier?.registered);
    if (earlier?.status === 'changed') notify(state, hs, step, true);
    const reason = earlier ? 'done in an earlier run' : 'before --from';
    return report(state, planned, hs, started, { status: 'skipped', skip: 'passed-over', reason, registered: earlier?.registered });
  }
  if (!hs.shell) {
    return report(state, planned, hs, started, { status: 'unreachable', error: eventError(hs.connectError) });
  }
  const shell = hs.shell;
  const ran = await state.machines.run(hs.inventoryHost, async (): Promise<CallOutcome | { unreachable: unknown }> => {
    await state.emitter.emit({ type: 'host-start', host: hs.name, stepId: planned.id, stepName: step.name });
    const ahead = shell.transport instanceof ReadAheadTransport ? shell.transport : undefined;
    if (ahead) await readChecksAhead(state, planned, hs, ahead);
    try {
      return await runCalls(state, planned, hs, shell);
    } catch (e) {
      return isUnreachable(e) ? { unreachable: e } : failure(e);
    } finally {
      ahead?.readAhead.stepDone();
    }
  });
  if ('unreachable' in ran) return report(state, planned, hs, started, { status: 'unreachable', error: eventError(ran.unreachable) });
  const outcome = ran;
  const registered = step.register || state.registry.get(step.task)?.setsVars ? outcome.record : undefined;
  keepResult(state, hs, step, registered);
  if (outcome.status === 'changed') notify(state, hs, step, false);
  const ignored = outcome.status === 'failed' && step.ignoreErrors;
  const result = await report(state, planned, hs, started, {
    status: outcome.status,
    skip: outcome.skip,
    reason: outcome.reason,
    summary: outcome.summary,
    diff: state.diff ? outcome.diff : undefined,
    error: outcome.error === undefined ? undefined : eventError(outcome.error),
    undo: outcome.undoRecords,
    registered,
    ignored: ignored || undefined,
  });
  // A block took the failure: its rescue may read it.
  if (outcome.status === 'failed' && !ignored && !hs.stopped) rememberFailure(hs, step, outcome.record);
  return result;
}

/** Emit the host-result, count it in the recap, stop the host on failure. */
/**
 * What `planned` would do on `hs` now: its check run in check mode whatever the step's own
 * check_mode says, nothing emitted or registered (--confirm shows it before asking). `nothingToDo`
 * when the host is in sync, skipped by `when`, or done in an earlier run.
 */
export async function previewStep(state: RunState, planned: PlannedStep, hs: HostState): Promise<HostPreview> {
  const preview = (fields: ResultFields, nothingToDo: boolean) => ({ result: shown(state, planned, hs.name, fields), nothingToDo });
  const earlier = planned.handler ? undefined : state.resume?.done(hs.name, planned.id);
  if (earlier && state.fromIndex === 0) return preview({ status: 'skipped', skip: 'passed-over', reason: 'done in an earlier run' }, true);
  if (!hs.shell) return preview({ status: 'unreachable', error: eventError(hs.connectError) }, false);
  // Log lines of a preview are not part of the run.
  const quiet: RunState = { ...state, checkMode: true, emitter: new Emitter([]) };
  const checkOnly: PlannedStep = { ...planned, step: { ...planned.step, checkMode: true } };
  let outcome: CallOutcome;
  try {
    outcome = await runCalls(quiet, checkOnly, hs, hs.shell);
  } catch (e) {
    if (isUnreachable(e)) return preview({ status: 'unreachable', error: eventError(e) }, false);
    outcome = failure(e);
  }
  const fields: ResultFields = {
    status: outcome.status,
    skip: outcome.skip,
    reason: outcome.reason,
    summary: outcome.summary,
    diff: outcome.diff,
    error: outcome.error === undefined ? undefined : eventError(outcome.error),
  };
  // `changed_when: false` is how a runbook says a command only reads (a guard, a wait): not worth a question.
  const wouldRun = outcome.unknowable === true && planned.step.changedWhen !== 'false';
  return preview(fields, outcome.status === 'ok' || (outcome.status === 'skipped' && !wouldRun));
}

function notify(state: RunState, hs: HostState, step: StepDecl, restored: boolean): void {
  const reached = new Set(step.notify.flatMap((name) => reachedBy(state.plan.handlers, (h) => h.step, step, name)));
  for (const handler of reached) {
    if (!handler.perHost.has(hs.name)) continue;
    if (restored && state.resume?.done(hs.name, handler.id)) continue;
    hs.notified.add(handler.id);
  }
}

async function runCalls(state: RunState, planned: PlannedStep, hs: HostState, loginShell: HostShell): Promise<CallOutcome> {
  const { step } = planned;
  const hp = planned.perHost.get(hs.name);
  if (!hp) throw new Error(`host ${hs.name} was not planned for step ${planned.id}`);
  if (hp.skip) return skipped(hp.skip);
  const vars = stepVars(hp.vars, hs);
  if (step.when !== undefined && !evaluateCondition(step.when, vars, step.positions['when'] ?? step.pos)) {
    return skipped(falseWhen(step.when));
  }
  let calls = hp.calls;
  if (!calls) {
    calls = renderCalls(step, vars, state.registry);
    for (const call of calls) collectSecretArgs(step, call.args, state.registry, state.plan.redactor);
  }
  if (step.loop !== undefined && calls.length === 0) return skipped('no items in the loop');

  const task = state.registry.get(step.task);
  if (!task) throw new Error(`task ${step.task} vanished from the registry after planning`);
  const shell = withStepBecome(loginShell, planned.step, hp.becomeUser, hs, vars);
  const outcomes: CallOutcome[] = [];
  for (const call of calls) {
    const itemVars = callVars(step, vars, call.item);
    const outcome = await runCall({ state, planned, hs, task, shell, call, vars: itemVars });
    // loop_control.label names the item in the summary (as Ansible's "(item=<label>)").
    const label = step.loopLabel !== undefined && call.item ? String(renderValue(step.loopLabel, itemVars, { positions: step.positions, path: 'loop_control.label' })) : undefined;
    outcomes.push(label === undefined ? outcome : { ...outcome, summary: outcome.summary ? `${label}: ${outcome.summary}` : label });
  }
  const combined = step.loop === undefined ? outcomes[0] : aggregate(outcomes, calls);
  const undoRecords = outcomes.flatMap((o, i) =>
    o.status === 'changed' && o.undo !== undefined ? [{ task: step.task, ...(calls[i].item ? { item: i } : {}), record: o.undo }] : [],
  );
  return { ...combined, undoRecords };
}

/**
 * A step's result kept on its host for the steps after it: under its `register` name, and, for a
 * task that sets vars (set_fact), the vars it set (each loop item's, in order).
 */
function keepResult(state: RunState, hs: HostState, step: StepDecl, record: Record<string, unknown> | undefined): void {
  if (!record) return;
  if (step.register) hs.registered[step.register] = record;
  const setsVars = state.registry.get(step.task)?.setsVars;
  if (!setsVars || record['failed'] || record['skipped']) return;
  const results = Array.isArray(record['results']) ? (record['results'] as Array<Record<string, unknown>>) : [record];
  for (const r of results) {
    if (!r['ansible_facts'] || r['skipped']) continue;
    for (const [name, value] of Object.entries(r['ansible_facts'] as Vars)) {
      hs.registered[name] = value;
      if (setsVars.fromFiles) hs.writtenVars.add(name);
      else hs.writtenVars.delete(name);
    }
  }
}

