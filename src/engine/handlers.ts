// Handlers: the id each goes by in events and the journal, and which of them a notification
// reaches. A runbook included twice (migrate-to-kraft includes kafka-config once per phase, each
// time with its own vars and hosts) brings its handlers twice: each copy keeps an id of its own, and
// a step notifies the nearest copy, so a phase restarts through its own handlers only.

import type { StepDecl } from '../model.js';

/** `handler:<name>`; the second handler of that name is `handler:<name>#2`, and so on. */
export function handlerId(handlers: readonly StepDecl[], handler: StepDecl): string {
  const n = handlers.filter((h) => h.name === handler.name).indexOf(handler);
  return n > 0 ? `handler:${handler.name}#${n + 1}` : `handler:${handler.name}`;
}

/**
 * The handlers `name` reaches from `step`: those brought in by the step's own file when it has
 * any, else by the file that included it, and so on up to the top runbook (every handler).
 */
export function reachedBy<T>(handlers: readonly T[], declOf: (h: T) => StepDecl, step: StepDecl, name: string): T[] {
  const answering = handlers.filter((h) => declOf(h).name === name || declOf(h).listen?.includes(name));
  for (const file of [...step.origin].reverse()) {
    const near = answering.filter((h) => declOf(h).origin.includes(file));
    if (near.length) return near;
  }
  return answering;
}
