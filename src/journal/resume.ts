// What a resume needs from the journal: which steps each host already finished, and whether the
// runbook and inventory are still the ones the run started with.

import type { StepStatus } from '../engine/events.js';
import { UserError } from '../errors.js';
import type { Inventory, Runbook } from '../model.js';
import { diffPlan } from './header.js';
import type { RunHeader } from './records.js';
import { isDone, type RunState } from './state.js';

export interface DoneSteps {
  done(host: string, stepId: string): { status: StepStatus; registered?: Record<string, unknown> } | undefined;
}

/**
 * Steps finished in the run so far, with what they registered (runPlay's `resume`). A step a
 * rollback undid (`host\0stepId` in `undone`) is not done any more.
 */
export function doneSteps(state: RunState, undone: Set<string> = new Set()): DoneSteps {
  return {
    done(host, stepId) {
      const s = state.hosts.get(host)?.get(stepId);
      if (!isDone(s) || s!.status === 'started' || undone.has(`${host}\0${stepId}`)) return undefined;
      return { status: s!.status, ...(s!.registered ? { registered: s!.registered } : {}) };
    },
  };
}

/**
 * Refuse to resume with a runbook or inventory other than the run's (the finished steps would
 * no longer mean what they meant), naming what changed. Returns the description, for a warning,
 * when `force` is given.
 */
export function checkUnchanged(header: RunHeader, runbook: Runbook, inventory: Inventory, force: boolean): string[] {
  const problems: string[] = [];
  if (runbook.hash !== header.runbook.hash) {
    const { added, removed, changed } = diffPlan(header.steps, runbook);
    const list = (label: string, names: string[]) => names.length && problems.push(`${label}: ${names.map((n) => `"${n}"`).join(', ')}`);
    list('changed steps', changed);
    list('added steps', added);
    list('removed steps', removed);
    if (problems.length === 0) problems.push(`${runbook.file} changed (no step did: vars, handlers or formatting)`);
  }
  if (inventory.hash !== header.inventory.hash) problems.push(`the inventory ${header.inventory.file ?? '(implicit localhost)'} changed`);
  if (problems.length && !force) {
    throw new UserError('changed', `run ${header.id} was started with another version of its runbook or inventory:\n  ${problems.join('\n  ')}`, {
      hint: `play it anew, or \`runbook resume ${header.id} --force\` to go on with the files as they are now`,
    });
  }
  return problems;
}
