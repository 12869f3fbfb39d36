// The two strategies, as Ansible names them: how a batch's hosts walk the plan. linear: every
// host finishes a step before any starts the next, handlers after the last step (or at a
// flush_handlers) on the hosts that notified them; free: each host on its own, with step-start,
// step-end and checkpoint events still in plan order for the sinks. Both respect blocks (a host
// leaves a block when its next step is outside it), --from (steps before it only replayed from
// the journal) and --confirm.

import { confirmStep, skipConfirmed } from './confirm.js';
import { inBlockTurn, leaveBlocks } from './blocks.js';
import type { Limiter } from './limit.js';
import type { PlannedItem, PlannedStep } from './plan.js';
import type { HostState, RunState } from './state.js';
import { executeStep } from './step.js';

export async function runLinear(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  const { items } = state.plan;
  for (let i = 0; i < items.length; i++) {
    if (state.signal.aborted) {
      state.interrupted = true;
      return;
    }
    const item = items[i];
    for (const hs of hosts) if (!hs.stopped) leaveBlocks(state, hs, item.kind === 'step' ? item.planned.step : undefined);
    if (item.kind === 'step') await runStepOn(state, item.planned, hosts, limit, i < state.fromIndex);
    else if (item.kind === 'flush_handlers') await runHandlersLinear(state, hosts, limit);
    else await emitCheckpoint(state, item.name, hosts.filter((h) => !h.stopped));
  }
  for (const hs of hosts) if (!hs.stopped) leaveBlocks(state, hs, undefined);
  await runHandlersLinear(state, hosts, limit);
}

async function runStepOn(state: RunState, planned: PlannedStep, hosts: HostState[], limit: Limiter, beforeFrom: boolean): Promise<void> {
  const targets = hosts.filter((h) => !h.stopped && planned.perHost.has(h.name) && inBlockTurn(h, planned.step));
  if (targets.length === 0) return;
  const answer = beforeFrom ? 'run' : await confirmStep(state, planned, targets, limit);
  if (answer === 'quit') return;
  // A run_once step reports on the host that runs it (the first); the others take its result
  // silently, so step-start names only that host (the terminal tree waits for each host it names).
  await stepStart(state, planned, planned.step.runOnce ? targets.slice(0, 1) : targets);
  const each = answer === 'skip' ? (hs: HostState) => skipConfirmed(state, planned, hs) : (hs: HostState) => executeStep(state, planned, hs, beforeFrom);
  await Promise.all(targets.map((hs) => limit(() => each(hs))));
  await state.emitter.emit({ type: 'step-end', stepId: planned.id });
}

function stepStart(state: RunState, planned: PlannedStep, hosts: HostState[]): Promise<void> {
  return state.emitter.emit({
    type: 'step-start',
    stepId: planned.id,
    stepName: planned.step.name,
    task: planned.step.task,
    hosts: hosts.map((h) => h.name),
    handler: planned.handler,
  });
}

/** Each notified handler once, in declaration order, on the hosts that notified it. */
async function runHandlersLinear(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  for (const handler of state.plan.handlers) {
    if (state.signal.aborted) {
      if (hosts.some((h) => h.notified.size > 0)) state.interrupted = true;
      return;
    }
    const notified = hosts.filter((h) => !h.stopped && h.notified.has(handler.id));
    notified.forEach((h) => h.notified.delete(handler.id));
    await runStepOn(state, handler, notified, limit, false);
  }
}

function emitCheckpoint(state: RunState, name: string, reached: HostState[]): Promise<void> {
  if (reached.length === 0) return Promise.resolve();
  return state.emitter.emit({ type: 'checkpoint', name, hosts: reached.map((h) => h.name) });
}

/**
 * strategy free: every host walks the plan on its own. A step's step-start goes out when its
 * first host gets there and step-end when its last host is past it (or stopped); a checkpoint
 * once every host of the batch reached it or stopped.
 */
export async function runFree(state: RunState, hosts: HostState[], limit: Limiter): Promise<void> {
  const { items } = state.plan;
  const pending = items.map((item) => new Set(hostsOf(item, hosts).map((h) => h.name)));
  const started = items.map(() => false);
  const reached: string[][] = items.map(() => []);

  // Called when `host` is past item i (done it, or will never do it); settles events in plan order.
  const pass = async (i: number, host: string) => {
    const left = pending[i];
    if (!left.delete(host) || left.size > 0) return;
    const item = items[i];
    if (item.kind === 'step' && started[i]) await state.emitter.emit({ type: 'step-end', stepId: item.planned.id });
    if (item.kind === 'checkpoint' && reached[i].length > 0) await state.emitter.emit({ type: 'checkpoint', name: item.name, hosts: reached[i] });
  };

  const walk = async (hs: HostState) => {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!hs.stopped) leaveBlocks(state, hs, item.kind === 'step' ? item.planned.step : undefined);
      if (hs.stopped || state.signal.aborted) {
        if (state.signal.aborted && !hs.stopped) state.interrupted = true;
        for (let j = i; j < items.length; j++) await pass(j, hs.name);
        return;
      }
      if (item.kind === 'step' && item.planned.perHost.has(hs.name) && inBlockTurn(hs, item.planned.step)) {
        if (!started[i]) {
          started[i] = true;
          await stepStart(state, item.planned, hosts.filter((h) => pending[i].has(h.name)));
        }
        await executeStep(state, item.planned, hs, i < state.fromIndex);
      } else if (item.kind === 'checkpoint') {
        reached[i].push(hs.name);
      } else if (item.kind === 'flush_handlers') {
        await runHandlersFree(state, hs);
      }
      await pass(i, hs.name);
    }
    if (!hs.stopped) leaveBlocks(state, hs, undefined);
    await runHandlersFree(state, hs);
  };
  await Promise.all(hosts.map((hs) => limit(() => walk(hs))));
}

function hostsOf(item: PlannedItem, hosts: HostState[]): HostState[] {
  return item.kind === 'step' ? hosts.filter((h) => item.planned.perHost.has(h.name)) : hosts;
}

async function runHandlersFree(state: RunState, hs: HostState): Promise<void> {
  for (const handler of state.plan.handlers) {
    if (hs.stopped || !hs.notified.has(handler.id)) continue;
    if (state.signal.aborted) {
      state.interrupted = true;
      return;
    }
    hs.notified.delete(handler.id);
    await stepStart(state, handler, [hs]);
    await executeStep(state, handler, hs, false);
    await state.emitter.emit({ type: 'step-end', stepId: handler.id });
  }
}
