// A step's args for one host: rendered with the host's vars, then parsed with the task's schema.

import { UserError } from '../errors.js';
import type { StepDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import { renderValue } from '../template/index.js';
import { issueErrors } from './issues.js';
import { collected } from './errors.js';

export function resolveStepArgs(step: StepDecl, vars: Vars, registry: TaskRegistry): unknown {
  const task = registry.get(step.task);
  if (!task) throw new UserError('schema', `unknown task "${step.task}"`, { pos: step.pos, step: step.name });
  const rendered = renderValue(step.args, vars, { positions: step.positions, path: 'args' });
  const parsed = task.args.safeParse(rendered);
  if (parsed.success) return parsed.data;
  const host = typeof vars.inventory_hostname === 'string' ? vars.inventory_hostname : undefined;
  throw collected(issueErrors(parsed.error, { positions: step.positions, prefix: 'args', keyNoun: `argument of task "${task.name}"`, subject: `task "${task.name}"`, schema: task.args, step: step.name, host }));
}
