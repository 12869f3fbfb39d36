// One task step (or handler, or undo step) from its YAML mapping to a StepDecl: exactly one task
// key, known keywords only, args checked against the task's schema when they hold no template.

import { createHash } from 'node:crypto';
import { isMap, isPair, isScalar, type Node, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { BlockPlace, SourcePos, StepDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import { checkCondition, checkTemplate, combineConditions } from '../template/index.js';
import { issueErrors } from './issues.js';
import { handlerKeywordSchemas, stepKeywordSchemas } from './schema.js';
import { closest } from './suggest.js';
import { collectPositions, type YamlSource } from './yaml-source.js';
import { ArgsTextError, taskArgs, taskFor } from './task-args.js';

export interface StepContext {
  source: YamlSource;
  registry: TaskRegistry;
  /** Id of the step: everything before the name (`top.yaml#3/zk.yaml#2`). */
  idPrefix: string;
  /** The included files that led to the step (StepDecl.origin). */
  origin: string[];
  /** Default host pattern. */
  hosts: string;
  /** Patterns of the includes that named hosts: the step runs only where all of them match. */
  within: string[];
  withinPos: Array<SourcePos | undefined>;
  scope: Vars;
  /** Positions of the scope's include vars (`scope.<name>`), for rendering them later. */
  scopePositions: Record<string, SourcePos>;
  /** Conditions and tags of the includes that led here. */
  when: string[];
  whenPos?: SourcePos;
  tags: string[];
  /** The includes' `irreversible`, for steps that do not say their own. */
  irreversible?: string;
  /** Vars the runbooks that led here require (StepDecl.required). */
  required: string[];
  handler: boolean;
  /** The blocks around the step (StepDecl.blocks). */
  blocks: BlockPlace[];
  /** The includes around the step with `undo:` steps (StepDecl.undoGroups). */
  undoGroups: string[];
}

export interface MapEntry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

export function mapEntries(map: YAMLMap): MapEntry[] {
  return map.items.flatMap((pair) =>
    isPair(pair) && isScalar(pair.key) ? [{ key: String(pair.key.value), keyNode: pair.key as Node, value: (pair.value as Node) ?? null }] : [],
  );
}

/** True when any string inside holds a template, so it can only be checked per host. */
export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (value && typeof value === 'object') return Object.values(value).some(hasTemplate);
  return false;
}

/** Checks the syntax of every template under a value, at its recorded position. */
function checkTemplates(value: unknown, path: string, positions: Record<string, SourcePos>, fallback: SourcePos): void {
  if (typeof value === 'string' && value.includes('{{')) checkTemplate(value, positions[path] ?? fallback);
  else if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(v, `${path}.${i}`, positions, fallback));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkTemplates(v, `${path}.${k}`, positions, fallback);
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const conditionText = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

/**
 * Parses a task step. Returns the errors found (several unknown keys at once) instead of throwing
 * on the first, so a runbook full of typos is reported in one go.
 */
export function parseTaskStep(node: Node, index: number, ctx: StepContext): { step?: StepDecl; errors: UserError[] } {
  const { source, registry } = ctx;
  const pos = source.pos(node);
  if (!isMap(node)) return { errors: [new UserError('schema', 'a step must be a mapping (name:, a task, ...)', { pos })] };
  const keywords: Record<string, z.ZodType> = ctx.handler ? handlerKeywordSchemas : stepKeywordSchemas;
  const entries = mapEntries(node);
  const nameEntry = entries.find((e) => e.key === 'name');
  const stepName = isScalar(nameEntry?.value) ? String(nameEntry.value.value) : undefined;
  const errors: UserError[] = [];
  const at = (message: string, where: SourcePos, hint?: string) => new UserError('schema', message, { pos: where, hint, step: stepName });

  const taskEntries = entries.filter((e) => !Object.hasOwn(keywords, e.key) && taskFor(e.key, registry));
  for (const e of entries) {
    if (e.key in keywords || taskFor(e.key, registry)) continue;
    const choices = registry.ambiguous(e.key);
    if (choices) {
      errors.push(at(`task "${e.key}" is defined by ${choices.length} packages: ${choices.map((c) => c.split('/').slice(0, -1).join('/')).join(', ')}`, source.pos(e.keyNode), `say which: ${choices.join(' or ')}`));
      continue;
    }
    // With no task key yet, a stray key is most likely a misspelt task; else a misspelt keyword.
    const asTask = registry.suggest(e.key);
    const asKeyword = closest(e.key, Object.keys(keywords));
    const suggestion = taskEntries.length === 0 ? (asTask ?? asKeyword) : (asKeyword ?? asTask);
    const noun = taskEntries.length === 0 && (suggestion === undefined || suggestion === asTask) ? 'unknown task' : 'unknown step keyword';
    errors.push(at(`${noun} "${e.key}"`, source.pos(e.keyNode), suggestion ? `did you mean "${suggestion}"?` : `tasks: ${registry.names().join(', ')}`));
  }
  if (taskEntries.length > 1) {
    errors.push(at(`a step runs exactly one task, this one names ${taskEntries.length}: ${taskEntries.map((e) => e.key).join(', ')}`, source.pos(taskEntries[1].keyNode), 'split it into one step per task'));
  } else if (taskEntries.length === 0 && errors.length === 0) {
    errors.push(at('step has no task', pos, `add one of: ${registry.names().join(', ')}`));
  }
  if (!nameEntry && !ctx.handler && taskEntries.length > 0) errors.push(at('step has no name', pos, 'add `name:` saying what the step does'));
  if (errors.length) return { errors };

  const positions: Record<string, SourcePos> = { ...ctx.scopePositions };
  ctx.withinPos.forEach((p, i) => p && (positions[`within.${i}`] = p));
  const raw: Record<string, unknown> = {};
  for (const e of entries) {
    const isTask = e === taskEntries[0];
    collectPositions(source, e.value ?? e.keyNode, isTask ? 'args' : e.key, positions);
    const value = source.value(e.value);
    if (isTask) continue;
    raw[e.key] = value;
    const parsed = keywords[e.key].safeParse(value);
    if (!parsed.success) {
      errors.push(...issueErrors(parsed.error, { positions, prefix: e.key, keyNoun: `key of "${e.key}"`, schema: keywords[e.key], step: stepName }));
    }
  }
  const taskEntry = taskEntries[0];
  const task = taskFor(taskEntry.key, registry)!;
  let args: unknown;
  try {
    args = taskArgs(task, source.value(taskEntry.value), raw.args as Record<string, unknown> | undefined);
  } catch (e) {
    if (!(e instanceof ArgsTextError)) throw e;
    return { errors: [at(e.message, source.pos(taskEntry.value ?? taskEntry.keyNode))] };
  }
  if (!hasTemplate(args)) {
    const parsed = task.args.safeParse(args);
    if (!parsed.success) {
      errors.push(...issueErrors(parsed.error, { positions, prefix: 'args', keyNoun: `argument of task "${task.name}"`, subject: `task "${task.name}"`, schema: task.args, step: stepName }));
    }
  }
  if (errors.length) return { errors };
  try {
    checkTemplates(args, 'args', positions, pos);
    for (const key of ['loop', 'become_user', 'hosts']) checkTemplates(raw[key], key, positions, pos);
    list(raw.when).forEach((c, i) => checkCondition(c, positions[Array.isArray(raw.when) ? `when.${i}` : 'when']));
    for (const key of ['until', 'changed_when', 'failed_when']) {
      if (typeof raw[key] === 'string') checkCondition(raw[key] as string, positions[key]);
    }
  } catch (e) {
    return { errors: [e as UserError] };
  }

  const name = stepName ?? taskEntry.key;
  const id = `${ctx.idPrefix}#${index + 1}:${name}`;
  const ownWhen = list(raw.when);
  const when = combineConditions([...ctx.when, ...ownWhen]);
  if (!positions.when && ctx.whenPos) positions.when = ctx.whenPos;
  const undo: StepDecl[] = [];
  if (Array.isArray(raw.undo)) {
    const undoNode = entries.find((e) => e.key === 'undo')!.value as Node & { items: Node[] };
    undoNode.items.forEach((item, i) => {
      // Not the includes' conditions: the step changed something, so they held (and a var
      // registered during the play is not there at rollback).
      const parsed = parseTaskStep(item, i, { ...ctx, idPrefix: `${id}/undo`, handler: false, when: [], whenPos: undefined, undoGroups: [] });
      errors.push(...parsed.errors);
      if (parsed.step) undo.push(parsed.step);
    });
    if (errors.length) return { errors };
  }
  const loopControl = raw.loop_control as { loop_var?: string; index_var?: string; label?: string } | undefined;
  const step: StepDecl = {
    id,
    origin: ctx.origin,
    ...(ctx.required.length ? { required: ctx.required } : {}),
    hash: createHash('sha256')
      .update(JSON.stringify({ task: task.name, args, raw, scope: ctx.scope, hosts: ctx.hosts, ...(ctx.within.length ? { within: ctx.within } : {}), when: ctx.when, tags: ctx.tags, ...(ctx.blocks.length ? { blocks: ctx.blocks } : {}) }))
      .digest('hex'),
    name,
    pos,
    positions,
    hosts: (raw.hosts as string | undefined) ?? ctx.hosts,
    ...(ctx.within.length ? { within: ctx.within } : {}),
    task: task.name,
    args,
    scope: ctx.scope,
    when,
    become: raw.become as boolean | undefined,
    becomeUser: raw.become_user as string | undefined,
    register: raw.register as string | undefined,
    notify: list(raw.notify),
    retries: raw.retries as number | undefined,
    delay: raw.delay as number | undefined,
    until: conditionText(raw.until),
    tags: [...new Set([...ctx.tags, ...list(raw.tags)])],
    runOnce: raw.run_once === true,
    throttle: raw.throttle as number | undefined,
    loop: raw.loop,
    loopVar: loopControl?.loop_var ?? 'item',
    ...(loopControl?.index_var ? { indexVar: loopControl.index_var } : {}),
    ...(loopControl?.label !== undefined ? { loopLabel: loopControl.label } : {}),
    ignoreErrors: raw.ignore_errors === true,
    anyErrorsFatal: raw.any_errors_fatal === true,
    noLog: raw.no_log === true,
    timeout: raw.timeout as number | undefined,
    checkMode: raw.check_mode as boolean | undefined,
    changedWhen: conditionText(raw.changed_when),
    failedWhen: conditionText(raw.failed_when),
    undo: undo.length ? undo : undefined,
    irreversible: (raw.irreversible as string | undefined) ?? ctx.irreversible,
    listen: ctx.handler ? list(raw.listen) : undefined,
    ...(ctx.blocks.length ? { blocks: ctx.blocks } : {}),
    ...(ctx.undoGroups.length ? { undoGroups: ctx.undoGroups } : {}),
  };
  return { step, errors: [] };
}
