// --step and --start-at-step: which steps of a play run, chosen by name. Names are those `runbook
// show` prints (a trailing parenthesis may be left out), included runbooks' steps as well; `*`
// and `?` match as in a shell. A name that matches no step is an error naming the closest one,
// never a play that silently does nothing.

import { UserError } from '../errors.js';
import { globToRegExp } from '../load/patterns.js';
import { didYouMean } from '../load/suggest.js';
import type { PlanItem, StepDecl } from '../model.js';

export interface StepSelection {
  /** --step (repeatable): only steps whose name matches one of these. */
  names?: string[];
  /** --start-at-step: steps before the first that matches (a step name or a checkpoint) are left out. */
  startAt?: string;
}

const matcher = (glob: string) => (/[*?[]/.test(glob) ? globToRegExp(glob) : undefined);

/** `Write zoo.cfg (the ensemble, ports)` is also `Write zoo.cfg`: the shipped runbooks explain each step in a trailing parenthesis. */
const withoutComment = (name: string) => name.replace(/\s*\([^()]*\)$/, '');

function matches(glob: string, name: string): boolean {
  const re = matcher(glob);
  return [name, withoutComment(name)].some((n) => (re ? re.test(n) : glob === n));
}

/** The steps of `items` the selection keeps (every step when it selects nothing). */
export function selectSteps(items: PlanItem[], selection: StepSelection = {}): (step: StepDecl) => boolean {
  const steps = items.flatMap((i) => (i.kind === 'step' ? [i.step] : []));
  const names = steps.map((s) => s.name);
  const unknown = (flag: string, glob: string, candidates: string[]) =>
    new UserError('usage', `${flag} ${glob}: no step of the play is named so`, {
      hint: didYouMean(glob, candidates) ?? '`runbook show <runbook>` lists the steps',
    });
  for (const glob of selection.names ?? []) {
    if (!names.some((n) => matches(glob, n))) throw unknown('--step', glob, names);
  }
  let first = 0;
  if (selection.startAt !== undefined) {
    const at = selection.startAt;
    const index = items.findIndex((i) => (i.kind === 'step' ? matches(at, i.step.name) : i.kind === 'checkpoint' && i.name === at));
    if (index < 0) throw unknown('--start-at-step', at, [...names, ...items.flatMap((i) => (i.kind === 'checkpoint' ? [i.name] : []))]);
    first = index;
  }
  const kept = new Set(
    items
      .slice(first)
      .flatMap((i) => (i.kind === 'step' ? [i.step] : []))
      .filter((s) => !selection.names?.length || selection.names.some((g) => matches(g, s.name))),
  );
  return (step) => kept.has(step);
}
