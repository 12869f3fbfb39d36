// A run as the reports see it, from its journal alone: every host's steps in the order they ran,
// each with when it started and ended (host-result's duration, ended at the record's time),
// status, summary, diff and error. `--junit` and `runs show --html` are views of this; the
// journal is already redacted, so nothing secret can reach them.

import type { EventError, HostRecap, StepStatus } from '../engine/events.js';
import type { FileDiff } from '../task/types.js';
import type { LoadedRun } from './history.js';

/** What a step did on a host. */
interface StepFacts {
  host: string;
  stepId: string;
  stepName: string;
  status: StepStatus | 'interrupted';
  reason?: string;
  summary?: string;
  diff?: FileDiff[];
  error?: EventError;
  ignored?: boolean;
}

/** One execution of a step on a host. */
export interface StepRun extends StepFacts {
  task: string;
  startAt: number;
  endAt: number;
  /** 1 for the first attempt, 2 after the first resume, ... */
  attempt: number;
}

export interface RunReport {
  id: string;
  title: string;
  kind: 'play' | 'rollback';
  checkMode: boolean;
  status: string;
  startTime: string;
  startAt: number;
  endAt: number;
  attempts: number;
  hosts: string[];
  /** Every step each host ran, in journal order (a resumed step can appear once per attempt). */
  steps: StepRun[];
  recap?: Record<string, HostRecap>;
}

const UNDO_STATUS = { undone: 'changed', failed: 'failed', 'not-reversible': 'failed', skipped: 'skipped' } as const;

export function runReport(run: LoadedRun): RunReport {
  const { header, state, records } = run;
  const steps: StepRun[] = [];
  const started = new Map<string, number>();
  const lastAt = new Map<string, number>();
  let attempt = 1;
  for (const r of records) {
    if (r.type === 'resume') attempt++;
    else if (r.type === 'host-start') started.set(`${r.host}\0${r.stepId}`, r.at);
    else if (r.type === 'host-result') {
      const key = `${r.host}\0${r.stepId}`;
      steps.push({
        host: r.host,
        stepId: r.stepId,
        stepName: r.stepName,
        task: r.task,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.summary ? { summary: r.summary } : {}),
        ...(r.diff?.length ? { diff: r.diff } : {}),
        ...(r.error ? { error: r.error } : {}),
        ...(r.ignored ? { ignored: true } : {}),
        startAt: started.get(key) ?? r.at - r.durationMs,
        endAt: r.at,
        attempt,
      });
      started.delete(key);
      lastAt.set(r.host, r.at);
    } else if (r.type === 'undo-result') {
      steps.push({
        host: r.host,
        stepId: r.stepId,
        stepName: r.stepName,
        task: r.task,
        status: UNDO_STATUS[r.status],
        ...(r.message ? { summary: r.message } : {}),
        startAt: lastAt.get(r.host) ?? r.at,
        endAt: r.at,
        attempt,
      });
      lastAt.set(r.host, r.at);
    }
  }
  const endAt = records.at(-1)?.at ?? Date.parse(header.startTime);
  // A step a host started and never finished: the controller died or was stopped during it.
  for (const [key, at] of started) {
    const [host, stepId] = key.split('\0') as [string, string];
    const step = state.hosts.get(host)?.get(stepId);
    steps.push({ host, stepId, stepName: step?.stepName ?? stepId, task: '', status: 'interrupted', startAt: at, endAt, attempt });
  }
  // The play's hosts in inventory order (run-start), not in the order they happened to finish first.
  const planned = records.flatMap((r) => (r.type === 'run-start' ? r.hosts : []));
  const hostNames = [...new Set([...planned, ...state.hosts.keys(), ...steps.map((s) => s.host)])];
  return {
    id: header.id,
    title: header.kind === 'rollback' ? `rollback of ${header.rollbackOf}` : header.runbook.name,
    kind: header.kind,
    checkMode: header.options.checkMode,
    status: state.status,
    startTime: header.startTime,
    startAt: records[0]?.at ?? Date.parse(header.startTime),
    endAt,
    attempts: state.attempts,
    hosts: hostNames,
    steps,
    ...(state.recap ? { recap: state.recap } : {}),
  };
}

/** A step's outcome on a host over the whole run. */
export interface StepOutcome extends StepFacts {
  /** Time spent on the step over every attempt. */
  durationMs: number;
}

/**
 * Each host's steps with their outcome as resume and rollback see it (the journal's fold: a step
 * a resume passed over keeps what it did before), in the order the host first reached them.
 */
export function stepOutcomes(run: LoadedRun, report: RunReport = runReport(run)): Map<string, StepOutcome[]> {
  const out = new Map<string, StepOutcome[]>();
  for (const [host, steps] of run.state.hosts) {
    out.set(
      host,
      [...steps.values()].map((st) => {
        const runs = report.steps.filter((r) => r.host === host && r.stepId === st.stepId);
        const last = [...runs].reverse().find((r) => r.status === st.status);
        return {
          host,
          stepId: st.stepId,
          stepName: st.stepName,
          status: st.status === 'started' ? 'interrupted' : st.status,
          ...(st.reason ? { reason: st.reason } : {}),
          ...(last?.summary ? { summary: last.summary } : {}),
          ...(last?.diff ? { diff: last.diff } : {}),
          ...(st.error ? { error: st.error } : {}),
          ...(st.ignored ? { ignored: true } : {}),
          durationMs: runs.reduce((sum, r) => sum + (r.endAt - r.startAt), 0),
        };
      }),
    );
  }
  return out;
}
