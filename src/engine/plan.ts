// Planning: everything that can be decided before any host is touched. Hosts are matched, each
// host's vars computed, and every step's args rendered and validated per host (per loop item), so
// a missing variable or a bad arg fails with file:line:col before a single connection is opened.
// Only what depends on run-time values (a `register`ed result) waits for the run.

import { checkNotifiedHosts, checkNotify, handlerId } from './handlers.js';
import { referencesAny, registeredNames } from './run-time-vars.js';
import { revealedSecrets } from '../vault/keyring.js';
import { UserError, isUserError } from '../errors.js';
import { matchHosts } from '../load/patterns.js';
import { checkRequired, hostVars, templatedVars } from '../load/vars.js';
import { defaultsOf } from '../load/var-decls.js';
import { resolveStepArgs } from '../load/args.js';
import { evaluateCondition, readTemplateFile, renderTemplateFile, renderValue } from '../template/index.js';
import type { Inventory, Runbook, StepDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import { Redactor } from './redact.js';
import { selectSteps, type StepSelection } from './select.js';
import { selectedByTags, type TagFilter } from './tags.js';
import { resolveTemplatePath, templateSearchDirs } from './templates.js';

export interface PlanOptions {
  runbook: Runbook;
  inventory: Inventory;
  registry: TaskRegistry;
  extraVars: Vars;
  /** --limit host pattern. */
  limit?: string;
  tags: TagFilter;
  /** --step / --start-at-step. */
  steps?: StepSelection;
}

/** One task invocation: a step without loop has one, a looping step one per item. */
export interface Call {
  args: unknown;
  /** The loop item and its index; absent when the step does not loop. */
  item?: { value: unknown; index: number };
}

export interface HostStepPlan {
  /** The vars in force for this host and step (runbook, scope, inventory, extra vars). */
  vars: Vars;
  /** Set when `when` was decided at plan time and is false. */
  skip?: string;
  /** Rendered, validated calls; absent when they depend on run-time values (registered results). */
  calls?: Call[];
  /** The step's become_user rendered with this host's vars. */
  becomeUser?: string;
}

export interface PlannedStep {
  step: StepDecl;
  handler: boolean;
  /** Event id: the step's id, or for handlers `handler:<name>` (handlers.ts). */
  id: string;
  /** Hosts the step runs on (after --limit), in inventory order. */
  hosts: string[];
  perHost: Map<string, HostStepPlan>;
}

export type PlannedItem =
  | { kind: 'step'; planned: PlannedStep }
  | { kind: 'checkpoint'; name: string }
  | { kind: 'flush_handlers' };

/** What the engine runs: everything decided before a host is touched, and what it was decided from. */
export interface Plan {
  runbook: Runbook;
  inventory: Inventory;
  registry: TaskRegistry;
  /** Every host some step runs on, in inventory order: the hosts batches are made of. */
  hosts: string[];
  items: PlannedItem[];
  handlers: PlannedStep[];
  /** Knows every secret value of every host: apply it to anything that leaves the engine. */
  redactor: Redactor;
  /** The vars of any inventory host under a step's scope (for peers). */
  varsFor(host: string, scope: Vars): Vars;
  /**
   * The template files a call names (by the path its args give), rendered at planning: its task
   * takes them from here instead of rendering them again. Only files that name no var known at
   * run time only (a registered result, set_fact), so the content cannot differ when the task runs.
   */
  renderedTemplates: WeakMap<Call, Map<string, string>>;
}

export async function planPlay(options: PlanOptions): Promise<Plan> {
  const { runbook, inventory, registry } = options;
  await registry.load(namedTasks(runbook));
  const limited = options.limit === undefined ? undefined : new Set(matchHosts(options.limit, inventory));
  if (limited?.size === 0) {
    throw new UserError('usage', `--limit ${options.limit} matches no host of the inventory`, { hint: 'name hosts or groups of the inventory; `runbook show` lists them' });
  }
  const order = [...inventory.hosts.keys()];
  const stepHosts = (step: StepDecl): string[] => {
    const patterns = [step.hosts, ...(step.within ?? [])];
    const matched = patterns.map((p, i) => new Set(matchHosts(renderHosts(p, i === 0 ? 'hosts' : `within.${i - 1}`, step, runbook, options.extraVars, inventory), inventory)));
    return order.filter((h) => matched.every((m) => m.has(h)) && (!limited || limited.has(h)));
  };

  const varsCache = new Map<Vars, Map<string, Vars>>();
  const varsFor = (host: string, scope: Vars): Vars => {
    let byHost = varsCache.get(scope);
    if (!byHost) varsCache.set(scope, (byHost = new Map()));
    const cached = byHost.get(host);
    if (cached) return cached;
    const vars = hostVars(runbook, inventory, host, options.extraVars, scope);
    byHost.set(host, vars);
    return vars;
  };

  const registered = registeredNames(runbook, registry);
  const handlerNames = new Set(runbook.handlers.flatMap((h) => [h.name, ...(h.listen ?? [])]));
  const redactor = new Redactor();
  const renderedTemplates = new WeakMap<Call, Map<string, string>>();
  // Values a vault revealed (inventory, -e files, runbooks) are secrets whatever var carries them.
  for (const value of revealedSecrets()) redactor.add(value);
  const planStep = async (step: StepDecl, hosts: string[], handler: boolean): Promise<PlannedStep> => {
    checkNotify(step, handlerNames);
    const perHost = new Map<string, HostStepPlan>();
    for (const host of hosts) {
      const vars = varsFor(host, step.scope);
      checkRequired(runbook, step, host, vars);
      redactor.addSecretVars(vars, runbook);
      try {
        const hp = planHostStep(step, vars, registry, registered, redactor);
        await renderTemplateFiles(runbook, step, hp, registry, lateVars(vars, registered), renderedTemplates);
        perHost.set(host, hp);
      } catch (e) {
        throw withHost(e, host, step);
      }
    }
    return { step, handler, id: handler ? handlerId(runbook.handlers, step) : step.id, hosts, perHost };
  };

  const items: PlannedItem[] = [];
  const playHosts = new Set<string>();
  const chosen = selectSteps(runbook.items, options.steps);
  for (const item of runbook.items) {
    if (item.kind === 'checkpoint') items.push({ kind: 'checkpoint', name: item.name });
    else if (item.kind === 'flush_handlers') items.push({ kind: 'flush_handlers' });
    else if (selectedByTags(item.step.tags, options.tags) && chosen(item.step)) {
      const hosts = stepHosts(item.step);
      hosts.forEach((h) => playHosts.add(h));
      items.push({ kind: 'step', planned: await planStep(item.step, hosts, false) });
    }
  }
  const hosts = order.filter((h) => playHosts.has(h));
  // A handler runs on the play hosts that notified it, within its runbook's hosts as a step is (a
  // handler of zookeeper.yaml is planned for the zookeeper hosts only: it may name their group).
  const handlers: PlannedStep[] = [];
  for (const h of runbook.handlers) handlers.push(await planStep(h, stepHosts(h).filter((x) => playHosts.has(x)), true));
  for (const item of items) if (item.kind === 'step') checkNotifiedHosts(item.planned, handlers);
  return { runbook, inventory, registry, hosts, items, handlers, redactor, varsFor, renderedTemplates };
}

function planHostStep(
  step: StepDecl,
  vars: Vars,
  registry: TaskRegistry,
  registered: Set<string>,
  redactor: Redactor,
): HostStepPlan {
  const late = lateVars(vars, registered);
  if (step.when !== undefined && !referencesAny(step.when, late, true)) {
    if (!evaluateCondition(step.when, vars, step.positions['when'] ?? step.pos)) return { vars, skip: falseWhen(step.when) };
  }
  const becomeUser = renderBecomeUser(step, vars);
  if (referencesAny(step.args, late, false) || referencesAny(step.loop, late, false)) return { vars, becomeUser };
  const calls = renderCalls(step, vars, registry);
  for (const call of calls) collectSecretArgs(step, call.args, registry, redactor);
  return { vars, calls, becomeUser };
}

/**
 * become_user for one host (`become_user: "{{service_user}}"`): decided at plan time, like args.
 * Rollback needs the same user the change was made as.
 */
export function renderBecomeUser(step: StepDecl, vars: Vars): string | undefined {
  if (step.becomeUser === undefined) return undefined;
  const user = renderValue(step.becomeUser, vars, { positions: step.positions, path: 'become_user' });
  if (typeof user !== 'string' && typeof user !== 'number') {
    throw new UserError('schema', `become_user must render to a user name, got ${JSON.stringify(user)}`, { pos: step.positions['become_user'] ?? step.pos, step: step.name });
  }
  return String(user);
}

/** The names known at run time only: registered results, and vars templated on them. */
function lateVars(vars: Vars, registered: Set<string>): Set<string> {
  const waiting = templatedVars(vars);
  return waiting.length ? new Set([...registered, ...waiting]) : registered;
}

/**
 * Render the template files each call names (task.templateFiles): a missing variable fails now,
 * and the content is kept for the task (Plan.renderedTemplates). A file that names a var known at
 * run time only is left to the task, as args naming one are.
 */
async function renderTemplateFiles(
  runbook: Runbook,
  step: StepDecl,
  hp: HostStepPlan,
  registry: TaskRegistry,
  late: Set<string>,
  rendered: Plan['renderedTemplates'],
): Promise<void> {
  const templateFiles = registry.get(step.task)?.templateFiles;
  if (!templateFiles || !hp.calls) return;
  const searchDirs = templateSearchDirs(runbook, step);
  for (const call of hp.calls) {
    for (const path of templateFiles(call.args)) {
      const file = await resolveTemplatePath(searchDirs, path);
      if (referencesAny(await readTemplateFile(file), late, false)) continue;
      const content = await renderTemplateFile(file, callVars(step, hp.vars, call.item));
      let byPath = rendered.get(call);
      if (!byPath) rendered.set(call, (byPath = new Map()));
      byPath.set(path, content);
    }
  }
}

/** Render a step's calls for one host: its loop, then its args per item. Used at run time too. */
export function renderCalls(step: StepDecl, vars: Vars, registry: TaskRegistry): Call[] {
  if (step.loop === undefined) return [{ args: resolveStepArgs(step, vars, registry) }];
  const items = renderValue(step.loop, vars, { positions: step.positions, path: 'loop' });
  if (!Array.isArray(items)) {
    throw new UserError('schema', `loop must be a list, got ${typeof items}`, { pos: step.positions['loop'] ?? step.pos, step: step.name });
  }
  return items.map((value, index) => ({
    args: resolveStepArgs(step, callVars(step, vars, { value, index }), registry),
    item: { value, index },
  }));
}

/** One call's vars: the host's, with the loop item and, with loop_control.index_var, its index. */
export function callVars(step: StepDecl, vars: Vars, item: Call['item']): Vars {
  if (!item) return vars;
  return { ...vars, [step.loopVar]: item.value, ...(step.indexVar ? { [step.indexVar]: item.index } : {}) };
}

export function falseWhen(expr: string): string {
  return `when: ${expr} is false`;
}

export function collectSecretArgs(step: StepDecl, args: unknown, registry: TaskRegistry, redactor: Redactor): void {
  const secretArgs = registry.get(step.task)?.secretArgs ?? [];
  if (!args || typeof args !== 'object') return;
  for (const name of secretArgs) redactor.add((args as Record<string, unknown>)[name]);
}

function withHost(e: unknown, host: string, step: StepDecl): unknown {
  if (!isUserError(e) || e.host) return e;
  return new UserError(e.kind, e.message, { pos: e.pos ?? step.pos, host, step: step.name, hint: e.hint }, { cause: e });
}

/**
 * A step's host pattern with its templates rendered. As Ansible does for a play's `hosts:`, only
 * play-level vars are there (no host is chosen yet): the runbook's defaults, include vars, -e.
 * A templated pattern that matches no host at all is a mistake (a typo in -e), not an empty play.
 */
function renderHosts(pattern: string, path: string, step: StepDecl, runbook: Runbook, extraVars: Vars, inventory: Inventory): string {
  if (!pattern.includes('{{')) return pattern;
  const vars = { ...defaultsOf(runbook.vars), ...step.scope, ...extraVars };
  const rendered = String(renderValue(pattern, vars, { positions: { hosts: step.positions[path] ?? step.pos }, path: 'hosts' })).trim();
  if (matchHosts(rendered, inventory).length === 0) {
    throw new UserError('vars', `hosts: ${pattern} is "${rendered}", which matches no host of the inventory`, {
      pos: step.positions[path] ?? step.pos,
      hint: 'name hosts or groups of the inventory (e.g. -e brokers=kafka04); `runbook show -i <inventory>` lists them',
    });
  }
  return rendered;
}

/** Split the play's hosts into `serial` batches (a count or 'N%'; at least one host each). */
export function batches(hosts: string[], serial: number | string | undefined): string[][] {
  if (serial === undefined || hosts.length === 0) return [hosts];
  const size =
    typeof serial === 'string' && serial.endsWith('%')
      ? Math.floor((Number(serial.slice(0, -1)) / 100) * hosts.length)
      : Number(serial);
  const n = Math.max(1, Number.isFinite(size) ? size : hosts.length);
  const out: string[][] = [];
  for (let i = 0; i < hosts.length; i += n) out.push(hosts.slice(i, i + n));
  return out;
}

/** Every task a runbook's steps name (steps, handlers, undo steps): a runbook not read by the loader has them unloaded. */
function namedTasks(runbook: Runbook): string[] {
  const steps = [...runbook.items.flatMap((i) => (i.kind === 'step' ? [i.step] : [])), ...runbook.handlers, ...[...(runbook.undoGroups?.values() ?? [])].flatMap((g) => g.steps)];
  return [...steps, ...steps.flatMap((s) => s.undo ?? [])].map((s) => s.task);
}
