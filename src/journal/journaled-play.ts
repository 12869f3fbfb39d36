// A play (or a resume) with the journal attached: the engine's events go to the run's journal
// as well as to the UI; Ctrl-C (or SIGTERM, SIGHUP, closed output) becomes the engine's abort
// signal; a failed play is either rolled back to each failed host's last checkpoint
// (`on_failure: rollback` / --rollback-on-failure) or left for `runbook resume`, whose exact
// command is printed.

import { rm } from 'node:fs/promises';
import type { Confirm } from '../engine/confirm.js';
import type { EventSink } from '../engine/events.js';
import { isUserError } from '../errors.js';
import { planPlay, type Plan } from '../engine/plan.js';
import { runPlay, type PlayResult } from '../engine/run.js';
import type { ConnectOptions } from '../transport/connect.js';
import type { RunContext } from './context.js';
import type { PlayFlags } from './records.js';
import type { DoneSteps } from './resume.js';
import { rollbackRun } from './rollback.js';
import { interruptOnSignals, resumeCommand, type JournaledRun } from './session.js';
import { runDir } from './store.js';
import { undoStepsRunner } from './undo-steps.js';
import { RollbackLinesSink } from '../ui/rollback-lines.js';

/** The play a run's flags select from its context (a play plans it before its run exists; a resume plans it again). */
export function planRun(context: RunContext, flags: PlayFlags): Promise<Plan> {
  return planPlay({
    ...context,
    limit: flags.limit,
    tags: { only: flags.tags ?? [], skip: flags.skipTags ?? [] },
    steps: { names: flags.steps, startAt: flags.startAtStep },
  });
}

export interface JournaledPlayInput {
  session: JournaledRun;
  context: RunContext;
  /** The play, planned from context and flags (planRun). */
  plan: Plan;
  flags: PlayFlags;
  projectDir: string;
  /** The UI's sinks (terminal tree, plain lines, --json). */
  sinks: EventSink[];
  connect?: Pick<ConnectOptions, 'acceptNewHostKeys'>;
  resume?: DoneSteps;
  fromStep?: string;
  rollbackOnFailure: boolean;
  /** --confirm's prompter. */
  confirm?: Confirm;
  argv: string[];
  /** Where the journal's own messages go (stderr, so --json stdout stays clean). */
  say(message: string): void;
}

export async function playJournaled(input: JournaledPlayInput): Promise<PlayResult> {
  const { session, context, flags } = input;
  const interrupt = interruptOnSignals(input.say);
  let result: PlayResult;
  // A play refused by another run's lock on a host ran nothing: no run is left behind.
  let refused = false;
  try {
    result = await runPlay({
      plan: input.plan,
      checkMode: flags.checkMode,
      diff: flags.diff,
      forks: flags.forks,
      sinks: [session.sink, ...input.sinks],
      signal: interrupt.signal,
      projectDir: input.projectDir,
      runId: session.id,
      connect: input.connect,
      resume: input.resume,
      fromStep: input.fromStep,
      warn: (m) => input.say(`warning: ${m}`),
      confirm: input.confirm,
    });
    if (result.status === 'interrupted') {
      input.say(`run ${session.id} interrupted; go on with: ${resumeCommand(session.id)}`);
    } else if (result.status === 'failed' && !flags.checkMode) {
      const failedHosts = Object.entries(result.recap)
        .filter(([, r]) => r.failed > 0)
        .map(([host]) => host);
      if ((input.rollbackOnFailure || context.runbook.onFailure === 'rollback') && failedHosts.length) {
        input.say(`run ${session.id} failed on ${failedHosts.join(', ')}: rolling back to their last checkpoint`);
        const rollback = await rollbackRun({
          projectDir: input.projectDir,
          runId: session.id,
          to: { lastReached: true },
          hosts: failedHosts,
          check: false,
          force: false,
          ...context,
          connect: input.connect ?? {},
          runUndoSteps: undoStepsRunner({ ...context, projectDir: input.projectDir, runId: session.id, connect: input.connect ?? {} }),
          argv: input.argv,
          signal: interrupt.signal,
          sinks: [new RollbackLinesSink(input.say)],
          out: input.say,
        });
        if (rollback.failed + rollback.blocked > 0) input.say(`the rollback did not finish: see \`runbook runs show ${rollback.id}\``);
      } else {
        input.say(`run ${session.id} failed; after fixing the cause, go on with: ${resumeCommand(session.id)}`);
      }
    }
  } catch (e) {
    refused = isUserError(e) && e.kind === 'locked' && !input.resume;
    throw e;
  } finally {
    interrupt.dispose();
    await session.end();
    if (refused) await rm(runDir(input.projectDir, session.id), { recursive: true, force: true });
  }
  return result;
}

