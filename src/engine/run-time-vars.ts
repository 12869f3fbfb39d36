// The vars that exist only once steps have run (a registered result, what set_fact or
// include_vars sets, a rescue's ansible_failed_*) and whether a value names one: the planner
// renders everything else up front, and leaves those values to be rendered when the step runs.

import { dirname } from 'node:path';
import { FAILURE_VARS } from './blocks.js';
import type { Runbook, StepDecl } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';

/** The vars that exist only once steps have run: registered results, and what set_fact-like tasks set. */
export function registeredNames(runbook: Runbook, registry: TaskRegistry): Set<string> {
  const names = new Set<string>();
  const visit = (s: StepDecl) => {
    if (s.register) names.add(s.register);
    const setsVars = registry.get(s.task)?.setsVars;
    if (setsVars && s.args && typeof s.args === 'object') for (const name of setsVars.names(s.args as Record<string, unknown>, dirname(s.pos.file))) names.add(name);
  };
  runbook.items.forEach((i) => i.kind === 'step' && visit(i.step));
  const rescues = runbook.items.some((i) => i.kind === 'step' && i.step.blocks?.some((b) => b.part === 'rescue'));
  if (rescues) FAILURE_VARS.forEach((name) => names.add(name));
  runbook.handlers.forEach(visit);
  return names;
}

/**
 * Whether any template in `value` (or, for a condition, the bare expression) names one of
 * `names`. Over-approximates (a quoted word counts): a false positive only moves rendering to
 * run time.
 */
export function referencesAny(value: unknown, names: Set<string>, isCondition: boolean): boolean {
  if (names.size === 0 || value === undefined) return false;
  const words = (text: string) => text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  const visit = (v: unknown): boolean => {
    if (typeof v === 'string') {
      const exprs = isCondition && !v.includes('{{') ? [v] : [...v.matchAll(/\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]);
      return exprs.some((e) => words(e).some((w) => names.has(w)));
    }
    if (Array.isArray(v)) return v.some(visit);
    if (v && typeof v === 'object') return Object.values(v).some(visit);
    return false;
  };
  return visit(value);
}
