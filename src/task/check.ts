// A task's check as the engine, the --confirm preview and the test harness run it: the declared
// probe first (through the same shell, so a result read ahead is taken), then the decision.

import type { CheckResult, TaskContext, TaskDefinition } from './types.js';

export async function runCheck<Args>(task: TaskDefinition, ctx: TaskContext<Args>): Promise<CheckResult> {
  const probe = task.probe?.(ctx);
  const probed = probe ? (await ctx.shell.run(probe)).stdout : '';
  return task.check(ctx, probed);
}
