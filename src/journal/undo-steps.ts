// A step whose task cannot undo itself (command, shell) is reversed by its `undo:` steps, run on
// the one host through the engine like any play: same conditions, become, loops and templates.

import type { RunEvent } from '../engine/events.js';
import { planPlay } from '../engine/plan.js';
import { runPlay } from '../engine/run.js';
import type { Inventory, Runbook, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { ConnectOptions } from '../transport/connect.js';
import type { UndoStepsRunner } from './rollback.js';

export function undoStepsRunner(context: {
  runbook: Runbook;
  inventory: Inventory;
  registry: TaskRegistry;
  extraVars: Vars;
  projectDir: string;
  runId: string;
  connect: Pick<ConnectOptions, 'acceptNewHostKeys'>;
}): UndoStepsRunner {
  return async (host, steps, signal, pool) => {
    const failures: string[] = [];
    const collect = (e: RunEvent) => {
      if (e.type === 'host-result' && (e.status === 'failed' || e.status === 'unreachable') && !e.ignored) {
        failures.push(`undo step "${e.stepName}": ${e.error?.message ?? e.status}`);
      }
    };
    const plan = await planPlay({
      runbook: { ...context.runbook, items: steps.map((step) => ({ kind: 'step' as const, step })), handlers: [], serial: undefined },
      inventory: context.inventory,
      registry: context.registry,
      extraVars: context.extraVars,
      limit: host,
      tags: { only: [], skip: [] },
    });
    const result = await runPlay({
      plan,
      sinks: [{ emit: collect }],
      signal,
      projectDir: context.projectDir,
      runId: context.runId,
      connect: context.connect,
      // The rollback holds the host's lock, writes its history and keeps its connection.
      takeLocks: false,
      pool,
    });
    if (result.status !== 'ok') throw new Error(failures.join('; ') || `undo steps ${result.status}`);
  };
}
