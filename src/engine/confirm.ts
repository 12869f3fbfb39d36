// --confirm: before a step changes anything, its check runs on every host it targets (in check
// mode, nothing emitted), and the operator sees what would change and answers: apply, skip, apply
// this and every later step, or quit. A step with nothing to do anywhere is not asked about. A
// skip is journaled as a skipped step (done, for resume); a quit is an interrupt, so the run
// stays resumable from the step that was asked about.

import { UserError } from '../errors.js';
import type { Runbook } from '../model.js';
import type { RunEvent } from './events.js';
import type { Limiter } from './limit.js';
import type { PlannedStep } from './plan.js';
import type { HostState, RunState } from './state.js';
import { previewStep } from './step.js';
import { report } from './outcome.js';

export type ConfirmAnswer = 'apply' | 'skip' | 'all' | 'quit';

/** What a step would do on one host: its check-mode result (never emitted). */
export interface HostPreview {
  result: Extract<RunEvent, { type: 'host-result' }>;
  /** In sync, skipped by `when`, done in an earlier run, or a `changed_when: false` command; false for a command that would run. */
  nothingToDo: boolean;
}

export interface StepPreview {
  stepId: string;
  stepName: string;
  handler: boolean;
  hosts: HostPreview[];
}

/** Asks the operator about one step; resolves once they answered. */
export type Confirm = (preview: StepPreview) => Promise<ConfirmAnswer>;

/** The reason a step skipped at the prompt carries in the journal (resume counts it as done). */
export const CONFIRM_SKIPPED = '--confirm: skipped';

/** --confirm asks about a step on all its hosts at once: a strategy free play has no such moment. */
export function assertConfirmable(runbook: Runbook): void {
  if (runbook.strategy !== 'free') return;
  throw new UserError('usage', `--confirm: runbook ${runbook.name} uses strategy free, where hosts do not take a step together`, {
    hint: "use --check --diff to see what would change, then --step 'name' to run chosen steps",
  });
}

/**
 * Before `planned` runs on `targets`: ask, when something would change. 'run' lets the step run
 * (its check runs again then, so a host that changed while the operator read is seen as it is);
 * 'quit' means the run stops here, before the step starts.
 */
export async function confirmStep(state: RunState, planned: PlannedStep, targets: HostState[], limit: Limiter): Promise<'run' | 'skip' | 'quit'> {
  const ask = state.confirm;
  if (!ask) return 'run';
  // A run_once step runs on its first host only; the others take that result.
  const previewed = planned.step.runOnce ? targets.slice(0, 1) : targets;
  const previews = await Promise.all(previewed.map((hs) => limit(() => previewStep(state, planned, hs))));
  if (previews.every((p) => p.nothingToDo)) return 'run';
  const answer = await ask({ stepId: planned.id, stepName: planned.step.name, handler: planned.handler, hosts: previews });
  switch (answer) {
    case 'apply':
      return 'run';
    case 'all':
      state.confirm = undefined;
      return 'run';
    case 'quit':
      state.quit();
      return 'quit';
    case 'skip':
      return 'skip';
  }
}

/** A step the operator skipped, reported on `hs` (after its step-start). */
export async function skipConfirmed(state: RunState, planned: PlannedStep, hs: HostState): Promise<void> {
  await report(state, planned, hs, Date.now(), { status: 'skipped', skip: 'declined', reason: CONFIRM_SKIPPED });
}
