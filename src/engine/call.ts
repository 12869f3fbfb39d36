// One call of a step on one host (a loop item, or the step itself): its retries (`until`,
// `retries`, `delay`), its deadline (`timeout`), the task's check, then (unless in check mode) the
// undo record journaled and apply, then changed_when and failed_when; and the context a task gets.

import { resolveBecome } from '../transport/become.js';
import { isUnreachable, TaskError } from '../errors.js';
import { evaluateCondition, renderTemplateFile } from '../template/index.js';
import type { Vars } from '../model.js';
import type { ApplyResult, ControllerInfo, ProbeContext, TaskContext, TaskDefinition } from '../task/types.js';
import type { HostShell } from '../transport/host.js';
import type { Call, PlannedStep } from './plan.js';
import type { HostState, RunState } from './state.js';
import { resolveTemplatePath, templateSearchDirs } from './templates.js';
import { resolveVarTemplates } from '../load/vars.js';
import { sleep } from '../sdk/wait.js';
import { controllerInfo } from '../task/controller.js';
import { runCheck } from '../task/check.js';
import { failure, record, type CallOutcome } from './outcome.js';

/** Everything one call runs with. */
export interface CallScope {
  state: RunState;
  planned: PlannedStep;
  hs: HostState;
  task: TaskDefinition;
  /** The host's shell with the step's become. */
  shell: HostShell;
  call: Call;
  /** The call's vars: the host's, the loop item's. */
  vars: Vars;
}

export function withStepBecome(shell: HostShell, step: PlannedStep['step'], becomeUser: string | undefined, hs: HostState, vars: Vars): HostShell {
  const become = resolveBecome({ become: step.become, becomeUser }, hs.inventoryHost, vars);
  return become ? shell.withBecome(become) : shell;
}

/** One call with its retries: `until` retries until it holds; `retries` alone retries failures. */
export async function runCall(scope: CallScope): Promise<CallOutcome> {
  const { state, planned, hs, vars } = scope;
  const { step } = planned;
  // In check mode nothing changes between attempts, so retrying (or waiting for `until`) is moot.
  if (step.checkMode ?? state.checkMode) return attemptCall(scope);
  const retrying = step.until !== undefined || step.retries !== undefined;
  const attempts = retrying ? Math.max(0, step.retries ?? 3) + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptCall(scope);
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

async function attemptCall(scope: CallScope): Promise<CallOutcome> {
  const { state, planned, hs, task, shell, call, vars } = scope;
  const { step } = planned;
  const checkMode = step.checkMode ?? state.checkMode;
  const deadline = step.timeout === undefined ? undefined : AbortSignal.timeout(step.timeout * 1000);
  const signal = deadline ? AbortSignal.any([hs.signals.task, deadline]) : hs.signals.task;
  const ctx = taskContext({ ...scope, shell: deadline ? shell.withSignal(signal) : shell }, checkMode, signal);
  const timedOut = () => new TaskError(`timed out after ${step.timeout} s (timeout: ${step.timeout}); its commands were stopped`, { host: hs.name, step: step.name });
  let outcome: CallOutcome;
  try {
    const checked = await withinDeadline(runCheck(task, ctx), deadline, timedOut);
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

/**
 * What every context of a step shares, whatever the host or call: worked out once per step and
 * run, not for each of the thousands of checks and probes a large inventory makes.
 */
interface StepShared {
  runId: string;
  templateDirs: string[];
  controller: ControllerInfo;
}
const stepShared = new WeakMap<PlannedStep['step'], StepShared>();

function sharedFor(state: RunState, step: PlannedStep['step']): StepShared {
  let shared = stepShared.get(step);
  if (shared?.runId !== state.runId || shared.controller.projectDir !== state.projectDir) {
    shared = { runId: state.runId, templateDirs: templateSearchDirs(state.plan.runbook, step), controller: controllerInfo(state.projectDir, state.runId, step) };
    stepShared.set(step, shared);
  }
  return shared;
}

/** The context `scope.task` gets: built here only, for the run and for reading checks ahead. */
export function taskContext(scope: Omit<CallScope, 'task'>, checkMode: boolean, signal: AbortSignal): TaskContext<unknown> {
  const { state, planned, hs, shell, call, vars } = scope;
  const { step } = planned;
  const { templateDirs, controller } = sharedFor(state, step);
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
    renderTemplate: async (path, extraVars) =>
      (extraVars === undefined ? state.plan.renderedTemplates.get(call)?.get(path) : undefined) ??
      renderTemplateFile(await resolveTemplatePath(templateDirs, path), { ...vars, ...extraVars }),
    peers: () =>
      state.plan.hosts
        .filter((name) => name !== hs.name)
        .flatMap((name) => {
          const peer = state.hosts.get(name);
          if (!peer?.shell) return [];
          const peerVars = stepVars(state.plan.varsFor(name, step.scope), peer);
          return [{ host: name, vars: peerVars, shell: peer.shell.withBecome(shell.become) }];
        }),
    controller,
    signal,
  };
}

/** What a task's `probe` is worked out from (the same values its check's context holds). */
export function probeContext(scope: Pick<CallScope, 'state' | 'planned' | 'hs' | 'call' | 'vars'>): ProbeContext<unknown> {
  return { args: scope.call.args, host: scope.hs.name, vars: scope.vars, controller: sharedFor(scope.state, scope.planned.step).controller };
}

/** Planned vars already resolved, for hosts that have registered nothing yet (most, most of the time). */
const resolvedPlanned = new WeakMap<Vars, Vars>();

/** A host's vars for a step now: the planned ones with its registered results, vars templated on them rendered. */
export function stepVars(planned: Vars, hs: Pick<HostState, 'registered' | 'writtenVars'>): Vars {
  if (Object.keys(hs.registered).length === 0) {
    let resolved = resolvedPlanned.get(planned);
    if (!resolved) resolvedPlanned.set(planned, (resolved = resolveVarTemplates(planned)));
    return resolved;
  }
  const data = Object.keys(hs.registered).filter((name) => !hs.writtenVars.has(name));
  return resolveVarTemplates({ ...planned, ...hs.registered }, new Set(data));
}

export function resultVars(vars: Vars, register: string | undefined, rec: Record<string, unknown>): Vars {
  return register ? { ...vars, [register]: rec } : vars;
}

