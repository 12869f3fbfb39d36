// Which checks a host reads ahead before a step (read-ahead.ts): the probes of the step's calls
// and of the next steps', worked out as the host's shell would send them, sent in one round trip
// per user they run as.

import { evaluateCondition } from '../template/index.js';
import type { Become } from '../transport/types.js';
import { collectingProbedPaths, statTable, type ProbedPaths } from '../sdk/stat-table.js';
import { READ_LIMIT } from '../sdk/probe.js';
import { callVars, type PlannedStep } from './plan.js';
import type { HostState, RunState } from './state.js';
import { fitBatch, readKey, type ReadAheadTransport } from './read-ahead.js';
import { probeContext, stepVars, withStepBecome } from './call.js';

/**
 * Read ahead (read-ahead.ts): the probes of this step's calls and of the next steps', in one round
 * trip. Only steps whose calls were rendered at plan time qualify (their args cannot depend on a
 * later `register`); a wrong guess costs nothing but the read, since a result is only used for a
 * probe that is byte for byte the same.
 */
export async function readChecksAhead(state: RunState, planned: PlannedStep, hs: HostState, transport: ReadAheadTransport): Promise<void> {
  const { items } = state.plan;
  const index = items.findIndex((item) => item.kind === 'step' && item.planned === planned);
  const count = index < 0 ? 0 : transport.readAhead.stepStarting(index);
  if (count === 0) return;
  const groups: ProbeRead[][] = [];
  let end = index;
  for (; end < items.length && end < index + count; end++) {
    const item = items[end];
    if (item.kind === 'flush_handlers') break;
    groups.push(item.kind === 'step' ? probeReads(state, item.planned, hs) : []);
  }
  const { reads, groups: fitted } = fitBatch(groups);
  const readAt = state.generation.value;
  const until = index + fitted;
  if (reads.length < 2) return transport.readAhead.store([], [], readAt, until);
  // A batch per user the probes run as, each on that user's shell with its own stat table. Not
  // waiting for the results: this step's check takes its own as soon as the host has run it.
  const batches = new Map<string, ProbeRead[]>();
  for (const read of reads) {
    const user = read.become?.user ?? '';
    if (!batches.has(user)) batches.set(user, []);
    batches.get(user)!.push(read);
  }
  const sent = await Promise.all(
    [...batches.values()].map(async (batch) => {
      const paths: ProbedPaths = { stat: new Set(batch.flatMap((read) => [...read.paths.stat])), sum: new Set(batch.flatMap((read) => [...read.paths.sum])) };
      const prelude = paths.stat.size > 1 ? statTable(paths, READ_LIMIT).text : undefined;
      const become = batch[0].become;
      // Steps that read the same (two env steps on one ~/.bashrc) are sent it once: nothing
      // changes a host between reads in one generation, and a change drops them all.
      const scripts = [...new Set(batch.map((read) => read.script))];
      // A batch that could not be sent leaves its checks to run on their own, and report why.
      const results = await transport.execMany(scripts, { signal: hs.signals.task, prelude, ...(become ? { become } : {}) }).catch(() => undefined);
      return results ? batch.map((read) => ({ key: readKey(read.script, become), result: results[scripts.indexOf(read.script)] })) : [];
    }),
  );
  const stored = sent.flat();
  transport.readAhead.store(
    stored.map((s) => s.key),
    stored.map((s) => s.result),
    readAt,
    until,
  );
}

/** A probe to read ahead: its script, the user it runs as, and the paths it names (for the stat and sum tables). */
interface ProbeRead {
  script: string;
  become?: Become;
  paths: ProbedPaths;
}

/** The probes of `planned`'s calls as `hs`'s shell, with the step's become, sends them now. */
function probeReads(state: RunState, planned: PlannedStep, hs: HostState): ProbeRead[] {
  const { step } = planned;
  const hp = planned.perHost.get(hs.name);
  const task = state.registry.get(step.task);
  if (!hp?.calls || hp.skip || !task?.probe || step.runOnce || !hs.shell) return [];
  if (state.resume?.done(hs.name, planned.id)) return [];
  const vars = stepVars(hp.vars, hs);
  const reads: ProbeRead[] = [];
  try {
    if (step.when !== undefined && !evaluateCondition(step.when, vars, step.positions['when'] ?? step.pos)) return [];
    const shell = withStepBecome(hs.shell, step, hp.becomeUser, hs, vars);
    for (const call of hp.calls) {
      const paths: ProbedPaths = { stat: new Set(), sum: new Set() };
      const probe = collectingProbedPaths(paths, () => task.probe!(probeContext({ state, planned, hs, call, vars: callVars(step, vars, call.item) })));
      if (probe) reads.push({ ...shell.stdinLess(probe), paths });
    }
  } catch {
    // A condition, a become or a probe that cannot be worked out yet: the step reads nothing ahead.
  }
  return reads;
}
