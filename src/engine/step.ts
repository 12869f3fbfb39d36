// Runs one planned step on one host: resume/--from skipping, run_once, `when`, loop items,
// check then (unless in check mode) journal the undo and apply, retries/until, changed_when and
// failed_when, register, notify, and the host-result event with the host's recap.

import { resolveBecome } from '../transport/become.js';
import { isUnreachable, isUserError, TaskError } from '../errors.js';
import { evaluateCondition, renderTemplateFile, renderValue } from '../template/index.js';
import type { StepDecl, Vars } from '../model.js';
import type { ApplyResult, FileDiff, TaskContext, TaskDefinition } from '../task/types.js';
import { HostShell } from '../transport/host.js';
import type { EventError, RunEvent, SkipKind, StepStatus } from './events.js';
import { callVars, collectSecretArgs, falseWhen, renderCalls, type Call, type PlannedStep } from './plan.js';
import type { HostPreview } from './confirm.js';
import { Emitter } from './emitter.js';
import type { HostState, RunState, StepOutcome } from './state.js';
import { limiter } from './limit.js';
import { fitBatch, ReadAheadTransport, Recorded, RecordingTransport } from './read-ahead.js';
import { resolveTemplatePath, templateSearchDirs } from './templates.js';
import { resolveVarTemplates } from '../load/vars.js';
import { sleep } from '../sdk/wait.js';
import { reachedBy } from './handlers.js';
import { rememberFailure } from './blocks.js';
import { controllerInfo } from '../task/controller.js';
import { aggregate, eventError, failure, record, report, shown, skipped, type CallOutcome, type ResultFields } from './outcome.js';

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

/**
 * Read ahead (read-ahead.ts): the first command of this step's check and of the next ones', in one
 * round trip. Only steps whose calls were rendered at plan time qualify (their args cannot depend
 * on a later `register`); a wrong guess costs nothing but the read, since a result is only used
 * for a command that is byte for byte the same.
 */
async function readChecksAhead(state: RunState, planned: PlannedStep, hs: HostState, transport: ReadAheadTransport): Promise<void> {
  const { items } = state.plan;
  const index = items.findIndex((item) => item.kind === 'step' && item.planned === planned);
  const count = index < 0 ? 0 : transport.readAhead.stepStarting(index);
  if (count === 0) return;
  const groups: string[][] = [];
  let end = index;
  for (; end < items.length && end < index + count; end++) {
    const item = items[end];
    if (item.kind === 'flush_handlers') break;
    groups.push(item.kind === 'step' ? await firstCheckCommands(state, item.planned, hs) : []);
  }
  const { scripts, groups: fitted } = fitBatch(groups);
  const readAt = state.generation.value;
  const until = index + fitted;
  if (scripts.length < 2) return transport.readAhead.store([], [], readAt, until);
  try {
    const results = await transport.execMany(scripts, { signal: hs.signals.task });
    if (results) transport.readAhead.store(scripts, results, readAt, until);
  } catch {
    // The checks run on their own, and report what went wrong.
  }
}

/** The first stdin-less command each call of `planned`'s check would run on `hs` now, found by running the check against a recorder. */
async function firstCheckCommands(state: RunState, planned: PlannedStep, hs: HostState): Promise<string[]> {
  const { step } = planned;
  const hp = planned.perHost.get(hs.name);
  const task = state.registry.get(step.task);
  if (!hp?.calls || hp.skip || !task || step.runOnce || !hs.shell) return [];
  if (state.resume?.done(hs.name, planned.id)) return [];
  const vars = stepVars(hp.vars, hs);
  const commands: string[] = [];
  try {
    if (step.when !== undefined && !evaluateCondition(step.when, vars, step.positions['when'] ?? step.pos)) return [];
    for (const call of hp.calls) {
      const recorder = new RecordingTransport(hs.name);
      const shell = withStepBecome(new HostShell(recorder, hs.shell.loginUser), step, hp.becomeUser, hs, vars);
      const ctx = taskContext(state, planned, hs, shell, call, callVars(step, vars, call.item), step.checkMode ?? state.checkMode, hs.signals.task);
      // Nothing of the recording may show or reach other hosts.
      await task.check({ ...ctx, log: () => {}, peers: () => { throw new Recorded(); } }).catch(() => undefined);
      if (recorder.script !== undefined) commands.push(recorder.script);
    }
  } catch {
    // A condition or become that cannot be worked out yet: the step reads nothing ahead.
  }
  return commands;
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
    const outcome = await runCall(state, planned, hs, task, shell, call, itemVars);
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

function withStepBecome(shell: HostShell, step: PlannedStep['step'], becomeUser: string | undefined, hs: HostState, vars: Vars): HostShell {
  const become = resolveBecome({ become: step.become, becomeUser }, hs.inventoryHost, vars);
  return become ? shell.withBecome(become) : shell;
}

/** One call with its retries: `until` retries until it holds; `retries` alone retries failures. */
async function runCall(
  state: RunState,
  planned: PlannedStep,
  hs: HostState,
  task: TaskDefinition,
  shell: HostShell,
  call: Call,
  vars: Vars,
): Promise<CallOutcome> {
  const { step } = planned;
  // In check mode nothing changes between attempts, so retrying (or waiting for `until`) is moot.
  if (step.checkMode ?? state.checkMode) return attemptCall(state, planned, hs, task, shell, call, vars);
  const retrying = step.until !== undefined || step.retries !== undefined;
  const attempts = retrying ? Math.max(0, step.retries ?? 3) + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptCall(state, planned, hs, task, shell, call, vars);
    if (retrying) outcome.record['attempts'] = attempt;
    let satisfied = outcome.status !== 'failed';
    if (step.until !== undefined) {
      try {
        satisfied = evaluateCondition(step.until, resultVars(vars, step.register, outcome.record), step.positions['until'] ?? step.pos);
      } catch (e) {
        return failure(e);
      }
    }
    const last = attempt >= attempts || state.signal.aborted;
    if (satisfied || last) {
      if (!satisfied && step.until !== undefined && outcome.status !== 'failed') {
        const error = new TaskError(`until: ${step.until} still false after ${attempt} attempt(s)`, { host: hs.name, step: step.name });
        return { ...outcome, status: 'failed', error, record: { ...outcome.record, failed: true, msg: error.message } };
      }
      return outcome;
    }
    await sleep((step.delay ?? 5) * 1000, hs.signals.interrupt);
  }
}

async function attemptCall(
  state: RunState,
  planned: PlannedStep,
  hs: HostState,
  task: TaskDefinition,
  shell: HostShell,
  call: Call,
  vars: Vars,
): Promise<CallOutcome> {
  const { step } = planned;
  const checkMode = step.checkMode ?? state.checkMode;
  const deadline = step.timeout === undefined ? undefined : AbortSignal.timeout(step.timeout * 1000);
  const signal = deadline ? AbortSignal.any([hs.signals.task, deadline]) : hs.signals.task;
  const ctx = taskContext(state, planned, hs, deadline ? shell.withSignal(signal) : shell, call, vars, checkMode, signal);
  const timedOut = () => new TaskError(`timed out after ${step.timeout} s (timeout: ${step.timeout}); its commands were stopped`, { host: hs.name, step: step.name });
  let outcome: CallOutcome;
  try {
    const checked = await withinDeadline(task.check(ctx), deadline, timedOut);
    const base = { summary: checked.summary, diff: checked.diff };
    if (checked.inSync) {
      outcome = { ...base, status: 'ok', record: record('ok', checked.summary, checked.data) };
    } else if (checkMode && checked.unknowableInCheck) {
      const reason = checked.unknowableInCheck;
      outcome = { status: 'skipped', skip: 'unknowable', reason, unknowable: true, record: { ...record('skipped', reason, checked.data), skip_reason: reason } };
    } else if (checkMode) {
      outcome = { ...base, status: 'changed', record: record('changed', checked.summary, checked.data) };
    } else {
      // The undo record is durable before the host is touched: a crash inside apply stays undoable.
      await state.emitter.emit({
        type: 'host-undo',
        host: hs.name,
        stepId: planned.id,
        task: step.task,
        ...(call.item ? { item: call.item.index } : {}),
        undo: checked.undo,
      });
      let applied: ApplyResult;
      try {
        applied = (await withinDeadline(task.apply(ctx, checked.observed), deadline, timedOut)) ?? {};
      } finally {
        // Whatever apply reports (a command with changed_when: false, a failure half way), it may
        // have written: checks read ahead before it are stale, on every host.
        state.generation.value++;
      }
      const status = applied.changed === false ? 'ok' : 'changed';
      const data = { ...checked.data, ...applied.data };
      outcome = { ...base, status, undo: applied.undo ?? checked.undo, record: record(status, checked.summary, data) };
    }
  } catch (e) {
    if (deadline?.aborted) outcome = failure(timedOut());
    else if (isUnreachable(e)) throw e;
    else outcome = failure(e);
  }
  try {
    return applyOverrides(step.changedWhen, step.failedWhen, outcome, vars, planned, hs.name);
  } catch (e) {
    return failure(e);
  }
}

/**
 * `work`, failing with `timedOut()` once `deadline` aborts even if the task is busy elsewhere than
 * in a command (the commands themselves are stopped through the shell's signal).
 */
function withinDeadline<T>(work: Promise<T>, deadline: AbortSignal | undefined, timedOut: () => Error): Promise<T> {
  if (!deadline) return work;
  work.catch(() => {});
  let onAbort = () => {};
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(timedOut());
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, expired]).finally(() => deadline.removeEventListener('abort', onAbort));
}

/** changed_when, then failed_when (which may turn a failure into success), as Ansible does. */
function applyOverrides(
  changedWhen: string | undefined,
  failedWhen: string | undefined,
  outcome: CallOutcome,
  vars: Vars,
  planned: PlannedStep,
  host: string,
): CallOutcome {
  const { step } = planned;
  const at = (key: string) => step.positions[key] ?? step.pos;
  let out = outcome;
  if (changedWhen !== undefined && out.status !== 'skipped' && out.status !== 'failed') {
    const changed = evaluateCondition(changedWhen, resultVars(vars, step.register, out.record), at('changed_when'));
    out = { ...out, status: changed ? 'changed' : 'ok', record: { ...out.record, changed } };
  }
  if (failedWhen !== undefined && out.status !== 'skipped') {
    const failed = evaluateCondition(failedWhen, resultVars(vars, step.register, out.record), at('failed_when'));
    if (failed && out.status !== 'failed') {
      const error = new TaskError(`failed_when: ${failedWhen} is true`, { host, step: step.name });
      out = { ...out, status: 'failed', error, record: { ...out.record, failed: true, msg: error.message } };
    } else if (!failed && out.status === 'failed') {
      out = { ...out, status: out.record['changed'] ? 'changed' : 'ok', error: undefined, record: { ...out.record, failed: false } };
    }
  }
  return out;
}

function taskContext(
  state: RunState,
  planned: PlannedStep,
  hs: HostState,
  shell: HostShell,
  call: Call,
  vars: Vars,
  checkMode: boolean,
  signal: AbortSignal,
): TaskContext<unknown> {
  const { step } = planned;
  const templateDirs = templateSearchDirs(state.plan.runbook, step);
  return {
    args: call.args,
    host: hs.name,
    vars,
    shell,
    checkMode,
    log: (message) => {
      if (step.noLog) return;
      void state.emitter.emit({ type: 'host-log', host: hs.name, stepId: planned.id, message: state.plan.redactor.text(message) }).catch(() => {});
    },
    facts: () => state.facts.get(hs.shell ?? shell),
    renderTemplate: async (path, extraVars) => renderTemplateFile(await resolveTemplatePath(templateDirs, path), { ...vars, ...extraVars }),
    peers: () =>
      state.plan.hosts
        .filter((name) => name !== hs.name)
        .flatMap((name) => {
          const peer = state.hosts.get(name);
          if (!peer?.shell) return [];
          const peerVars = stepVars(state.plan.varsFor(name, step.scope), peer);
          return [{ host: name, vars: peerVars, shell: peer.shell.withBecome(shell.become) }];
        }),
    controller: controllerInfo(state.projectDir, state.runId, step),
    signal,
  };
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

/** A host's vars for a step now: the planned ones with its registered results, vars templated on them rendered. */
function stepVars(planned: Vars, hs: Pick<HostState, 'registered' | 'writtenVars'>): Vars {
  const data = Object.keys(hs.registered).filter((name) => !hs.writtenVars.has(name));
  return resolveVarTemplates({ ...planned, ...hs.registered }, new Set(data));
}

function resultVars(vars: Vars, register: string | undefined, rec: Record<string, unknown>): Vars {
  return register ? { ...vars, [register]: rec } : vars;
}

