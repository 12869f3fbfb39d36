// Ansible's block/rescue/always, for one host. A step failing inside a block that has a rescue or
// an always does not stop the host: the block's other steps are passed over, its rescue runs (the
// failure is rescued when the rescue ends without one), its always runs either way. A failure
// nothing rescued is the enclosing block's (a failure in its part), and, past the outermost block,
// the host's: it stops, as on any failed step.

import type { BlockPlace, StepDecl } from '../model.js';
import type { HostState, RunState } from './state.js';

/** A block that failed on a host and is not over yet. */
export interface FailedBlock {
  /** The blocks around it, outermost first, itself last. */
  places: BlockPlace[];
  /** The failure was in the block's steps and its rescue has not failed: it may still be rescued. */
  rescuable: boolean;
}

/** Whether `step` is for `hs` now: passed over in a failed block, rescue only after a failure. */
export function inBlockTurn(hs: HostState, step: StepDecl): boolean {
  for (const place of step.blocks ?? []) {
    const failed = hs.failedBlocks.get(place.block);
    if (place.part === 'block' && failed) return false;
    if (place.part === 'rescue' && !failed?.rescuable) return false;
  }
  return true;
}

/**
 * A failure of `step` on `hs`: caught by the innermost block that handles it (true: the host goes
 * on), or the host's (false).
 */
export function catchFailure(hs: HostState, step: StepDecl): boolean {
  return catchAt(hs, step.blocks ?? []);
}

/** A failure in the last of `places`' parts: the innermost block there that has a rescue or always for it takes it. */
function catchAt(hs: HostState, places: BlockPlace[]): boolean {
  for (let i = places.length - 1; i >= 0; i--) {
    const place = places[i];
    if (place.part === 'block' && (place.hasRescue || place.hasAlways)) {
      hs.failedBlocks.set(place.block, { places: places.slice(0, i + 1), rescuable: place.hasRescue });
      return true;
    }
    if (place.part === 'rescue' && place.hasAlways) {
      hs.failedBlocks.set(place.block, { places: places.slice(0, i + 1), rescuable: false });
      return true;
    }
    // This block fails as a whole: the failure is the enclosing one's.
    hs.failedBlocks.delete(place.block);
  }
  return false;
}

/** The names a rescue reads the failure by, as Ansible's. */
export const FAILURE_VARS = ['ansible_failed_task', 'ansible_failed_result'];

/** Keeps the failure a block took for the steps after it (its rescue): the step, and its result. */
export function rememberFailure(hs: HostState, step: StepDecl, result: Record<string, unknown>): void {
  const values: Record<string, unknown> = { ansible_failed_task: { name: step.name, task: step.task }, ansible_failed_result: result };
  for (const [name, value] of Object.entries(values)) {
    hs.registered[name] = value;
    hs.writtenVars.delete(name);
  }
}

/**
 * Ends the failed blocks `hs` is past now that `next` is its next step (undefined: the play's
 * end), innermost first: a rescued one counts as rescued in the recap, one not rescued fails the
 * block around it, or the host.
 */
export function leaveBlocks(state: RunState, hs: HostState, next: StepDecl | undefined): void {
  const inside = new Set((next?.blocks ?? []).map((p) => p.block));
  const over = [...hs.failedBlocks.entries()].filter(([id]) => !inside.has(id)).sort(([, a], [, b]) => b.places.length - a.places.length);
  for (const [id, failed] of over) {
    if (!hs.failedBlocks.has(id)) continue;
    hs.failedBlocks.delete(id);
    if (failed.rescuable) {
      state.recap[hs.name].failed--;
      state.recap[hs.name].rescued++;
    } else if (!catchAt(hs, failed.places.slice(0, -1))) {
      hs.stopped = 'failed';
    }
  }
}
