// Handlers: the id each goes by in events and the journal, which of them a notification reaches,
// and the planner's checks that every notification reaches one on every host that sends it. A
// runbook included twice (migrate-to-kraft includes kafka-config once per phase, each time with
// its own vars and hosts) brings its handlers twice: each copy keeps an id of its own, and a step
// notifies the nearest copy, so a phase restarts through its own handlers only.

import { UserError } from '../errors.js';
import type { StepDecl } from '../model.js';
import type { PlannedStep } from './plan.js';

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

/** Every host of a notifying step has a handler for each name it notifies (else the notification would be lost). */
export function checkNotifiedHosts(planned: PlannedStep, handlers: PlannedStep[]): void {
  for (const name of planned.step.notify) {
    const answering = reachedBy(handlers, (h) => h.step, planned.step, name);
    const stranded = planned.hosts.filter((host) => !answering.some((h) => h.perHost.has(host)));
    if (stranded.length === 0) continue;
    throw new UserError('schema', `step "${planned.step.name}" notifies "${name}" on ${stranded.join(', ')}, where no handler of that name runs (its runbook's hosts leave them out)`, {
      pos: planned.step.pos,
      hint: "give the handler's runbook hosts that include them, or notify from a step that runs on its hosts only",
    });
  }
}

export function checkNotify(step: StepDecl, handlerNames: Set<string>): void {
  for (const name of step.notify) {
    if (!handlerNames.has(name)) {
      throw new UserError('schema', `step "${step.name}" notifies "${name}", but no handler has that name or listens to it`, {
        pos: step.positions['notify'] ?? step.pos,
        step: step.name,
      });
    }
  }
}
