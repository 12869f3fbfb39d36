// Builds a run's header from what the play was started with: enough to run the same play again
// (resume) and to undo it (rollback), with every secret redacted.

import { resolve } from 'node:path';
import type { Inventory, Runbook, StepDecl, Vars } from '../model.js';
import type { PlayFlags, RunHeader, StepSummary } from './records.js';
import { redactArgv, redactVars } from './redact.js';
import { handlerId } from '../engine/handlers.js';

export interface HeaderInput {
  id: string;
  projectDir: string;
  runbook: Runbook;
  inventory: Inventory;
  extraVars: Vars;
  options: PlayFlags;
  argv: string[];
  kind?: RunHeader['kind'];
  rollbackOf?: string;
}

export function buildHeader(input: HeaderInput): RunHeader {
  const { vars, redacted } = redactVars(input.extraVars, input.runbook);
  return {
    version: 1,
    id: input.id,
    kind: input.kind ?? 'play',
    ...(input.rollbackOf ? { rollbackOf: input.rollbackOf } : {}),
    projectDir: input.projectDir,
    // Absolute: resume and rollback may be started from another directory.
    runbook: { file: resolve(input.runbook.file), hash: input.runbook.hash, name: input.runbook.name },
    inventory: { ...(input.inventory.file ? { file: resolve(input.inventory.file) } : {}), hash: input.inventory.hash },
    extraVars: vars,
    redactedVars: redacted,
    options: input.options,
    steps: planSteps(input.runbook),
    checkpoints: planCheckpoints(input.runbook),
    argv: redactArgv(input.argv, redacted, redacted.map((name) => input.extraVars[name])),
    startTime: new Date().toISOString(),
    pid: process.pid,
  };
}

/** Every step of the plan in order, then the handlers. */
export function planSteps(runbook: Runbook): StepSummary[] {
  const steps = runbook.items.flatMap((item) => (item.kind === 'step' ? [summarize(item.step)] : []));
  return [...steps, ...runbook.handlers.map((h) => summarize(h, handlerId(runbook.handlers, h)))];
}

export function planCheckpoints(runbook: Runbook): RunHeader['checkpoints'] {
  const out: RunHeader['checkpoints'] = [];
  let steps = 0;
  for (const item of runbook.items) {
    if (item.kind === 'step') steps++;
    else if (item.kind === 'checkpoint') out.push({ name: item.name, beforeStep: steps });
  }
  return out;
}

/** A step, or a handler with the id events give it (handlers.ts). */
function summarize(step: StepDecl, handler?: string): StepSummary {
  return {
    id: handler ?? step.id,
    name: step.name,
    hash: stepHash(step),
    task: step.task,
    ...(step.become !== undefined ? { become: step.become } : {}),
    ...(step.becomeUser !== undefined ? { becomeUser: step.becomeUser } : {}),
    ...(handler ? { handler: true } : {}),
  };
}

/** A step's hash covers its `undo:` steps too: rollback runs them as they are now written. */
function stepHash(step: StepDecl): string {
  return step.undo?.length ? [step.hash, ...step.undo.map((u) => u.hash)].join('+') : step.hash;
}

export interface PlanChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which steps differ between the plan a run was started with and the runbook as it is now. */
export function diffPlan(before: StepSummary[], now: Runbook): PlanChanges {
  const current = new Map(planSteps(now).map((s) => [s.id, s]));
  const old = new Map(before.map((s) => [s.id, s]));
  const changes: PlanChanges = { added: [], removed: [], changed: [] };
  for (const [id, s] of old) {
    const c = current.get(id);
    if (!c) changes.removed.push(s.name);
    else if (c.hash !== s.hash) changes.changed.push(s.name);
  }
  for (const [id, s] of current) if (!old.has(id)) changes.added.push(s.name);
  return changes;
}
