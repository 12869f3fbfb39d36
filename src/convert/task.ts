// One Ansible task (or handler, block, import) to runbook steps. A task that cannot be translated
// as a whole becomes a `fail` step naming file:line and why, with the original task above it as a
// comment: the converted runbook stops there until someone writes that part by hand.

import { dirname, join } from 'node:path';
import { isSeq, type Node } from 'yaml';
import type { TaskRegistry } from '../task/registry.js';
import { Untranslatable, condition, conditionList, deep, list, text } from './translate.js';
import { child, entries, plain, readAnsibleYaml, type AnsibleFile, type Untranslated } from './source.js';
import { adaptArgs, assertArgs, checkArgs, includeVarsArgs } from './module-args.js';

export interface EmittedStep {
  step: Record<string, unknown>;
  /** YAML comment lines above the step (the original of an untranslated task). */
  comment?: string;
  /** A block with a rescue or an always: the steps of each part. */
  parts?: Partial<Record<BlockPart, EmittedStep[]>>;
}

export const BLOCK_PARTS = ['block', 'rescue', 'always'] as const;
export type BlockPart = (typeof BLOCK_PARTS)[number];

/** What the converter of the whole playbook offers a task list. */
export interface ConvertContext {
  registry: TaskRegistry;
  untranslated: Untranslated[];
  /** Notes about what was kept in another form (a debug task as a comment). */
  notes: Untranslated[];
  /** Converts a role once; returns what `include:` names it by. */
  role(name: string, at: string): Promise<string>;
  /** The template at `src` for this scope as a handlebars file written beside the runbook; returns its path there. */
  template(src: string, scope: TaskScope, at: string): Promise<string>;
  /** A controller file `src` copied beside the runbook; returns its path there. */
  file(src: string, scope: TaskScope, at: string): Promise<string>;
  /**
   * The vars files a name (templates in it too) may be, brought beside the runbook with their Jinja
   * translated; returns the name there, still in Jinja. `required`: one must exist.
   */
  varsFile(name: string, scope: TaskScope, at: string, required: boolean): Promise<string>;
}

export interface TaskScope {
  file: AnsibleFile;
  /** The name of the runbook being written (templates go under templates/<runbook>/). */
  runbook: string;
  /** Set when a translated expression reads Ansible's facts: the runbook gathers them first. */
  facts: { used: boolean };
  /** The role the tasks belong to (its templates/ and files/), if any. */
  roleDir?: string;
  /** Conditions, tags and become of the blocks and imports around the task. */
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
}

// Keywords with the same meaning in a runbook step.
const SAME = ['register', 'notify', 'ignore_errors', 'retries', 'delay', 'run_once', 'no_log', 'check_mode', 'throttle', 'any_errors_fatal', 'timeout', 'listen', 'become_user'];
const CONDITIONS = ['changed_when', 'failed_when', 'until'];
const LOOPS = ['loop', 'with_items', 'with_list'];
const HANDLED = new Set(['name', 'when', 'tags', 'become', 'args', 'loop_control', ...SAME, ...CONDITIONS, ...LOOPS]);
/** Task keywords of Ansible's that have no runbook counterpart: the task is left failing. */
const UNSUPPORTED = new Set([
  'environment', 'delegate_to', 'delegate_facts', 'vars', 'local_action', 'action', 'connection', 'remote_user', 'port', 'diff', 'debugger',
  'collections', 'module_defaults', 'with_dict', 'with_fileglob', 'with_first_found', 'with_together', 'with_nested', 'with_subelements',
  'with_sequence', 'with_indexed_items', 'with_random_choice', 'with_lines', 'async', 'poll', 'become_method', 'become_flags', 'register_facts',
]);
/** Modules whose task has another name here. */
const RENAMED: Record<string, string> = { systemd: 'service', systemd_service: 'service', package: 'apt', get_url: 'download', unarchive: 'extract' };
const COLLECTION = /^(?:ansible\.(?:builtin|legacy|posix)|community\.general)\./;

export async function convertTasks(list: Node | null, scope: TaskScope, ctx: ConvertContext): Promise<EmittedStep[]> {
  if (!list) return [];
  if (!isSeq(list)) return [failing(scope.file, list, new Untranslatable(scope.file.at(list), 'expected a list of tasks'), undefined)];
  const steps: EmittedStep[] = [];
  for (const node of list.items as Node[]) {
    try {
      steps.push(...(await convertTask(node, scope, ctx)));
    } catch (e) {
      if (!(e instanceof Untranslatable)) throw e;
      ctx.untranslated.push({ at: e.at, message: e.message });
      steps.push(failing(scope.file, node, e, String(plain(child(node, 'name')) ?? '')));
    }
  }
  return steps;
}

async function convertTask(node: Node, scope: TaskScope, ctx: ConvertContext): Promise<EmittedStep[]> {
  const { file } = scope;
  const keys = new Map(entries(node).map((e) => [e.key, e]));
  if (keys.size === 0) throw new Untranslatable(file.at(node), 'expected a task (a mapping)');
  if (keys.has('block')) return convertBlock(node, scope, ctx);
  const inner = innerScope(node, scope, ['import_tasks', 'include_tasks', 'include_role', 'import_role']);
  for (const key of ['import_tasks', 'include_tasks']) {
    const entry = keys.get(key);
    if (!entry) continue;
    const target = plain(entry.value);
    if (typeof target !== 'string' || target.includes('{{') || LOOPS.some((l) => keys.has(l))) throw new Untranslatable(file.at(entry.value), `${key} of a file known only when the play runs (a template or a loop)`);
    const path = join(dirname(file.path), target);
    const included = await readAnsibleYaml(path, dirname(file.path));
    return convertTasks(included.root, { ...inner, file: included }, ctx);
  }
  for (const key of ['include_role', 'import_role']) {
    const entry = keys.get(key);
    if (!entry) continue;
    const name = plain(child(entry.value, 'name'));
    if (typeof name !== 'string' || name.includes('{{')) throw new Untranslatable(file.at(entry.value), `${key} needs a plain role name`);
    const extra = entries(entry.value).filter((e) => e.key !== 'name');
    if (extra.length > 0) throw new Untranslatable(file.at(extra[0].keyNode), `${key}'s "${extra[0].key}" is not translated`);
    const step: Record<string, unknown> = { include: await ctx.role(name, file.at(entry.value)) };
    const vars = keys.get('vars');
    if (vars) step['vars'] = deep(plain(vars.value), file, vars.value, scope);
    putWhenAndTags(step, inner, file, node);
    return [{ step }];
  }

  // with_first_found is include_vars' way to choose a file; with another module, a loop we lack.
  const choosesFile = [...keys.keys()].some((k) => k.replace(COLLECTION, '') === 'include_vars');
  const taskKeys = [...keys.keys()].filter((k) => !HANDLED.has(k) && !(choosesFile && k === 'with_first_found'));
  const unsupported = taskKeys.find((k) => UNSUPPORTED.has(k));
  if (unsupported) throw new Untranslatable(file.at(keys.get(unsupported)!.keyNode), `the keyword "${unsupported}" has no runbook counterpart`);
  if (taskKeys.length !== 1) throw new Untranslatable(file.at(node), taskKeys.length === 0 ? 'no module in this task' : `more than one module in this task: ${taskKeys.join(', ')}`);
  const moduleKey = taskKeys[0];
  const moduleEntry = keys.get(moduleKey)!;
  const module = moduleKey.replace(COLLECTION, '');

  if (module === 'meta') {
    if (plain(moduleEntry.value) !== 'flush_handlers') throw new Untranslatable(file.at(moduleEntry.value), `meta: ${String(plain(moduleEntry.value))} is not translated (flush_handlers is)`);
    return [{ step: { ...(keys.has('name') ? { name: plain(keys.get('name')!.value) } : {}), flush_handlers: true } }];
  }
  if (module === 'debug') {
    ctx.notes.push({ at: file.at(node), message: 'debug only prints: kept as a comment' });
    return [{ step: {}, comment: `debug (only prints; not converted):\n${source(file, node)}` }];
  }
  const taskName = RENAMED[module] ?? module;
  const task = ctx.registry.get(taskName);
  if (!task) throw new Untranslatable(file.at(moduleEntry.keyNode), `no task for the module "${moduleKey}"`);

  const step: Record<string, unknown> = {};
  const name = keys.get('name');
  if (name) step['name'] = text(plain(name.value), file, name.value, scope);
  let args = deep(plain(moduleEntry.value), file, moduleEntry.value, scope);
  const extra = keys.get('args');
  const extraArgs = extra ? (deep(plain(extra.value), file, extra.value, scope) as Record<string, unknown>) : undefined;
  if (taskName === 'assert') args = assertArgs(plain(moduleEntry.value), file, moduleEntry.value, scope);
  if (taskName === 'include_vars') {
    const firstFound = keys.get('with_first_found');
    args = await includeVarsArgs(plain(moduleEntry.value), firstFound ? plain(firstFound.value) : undefined, scope, ctx, moduleEntry.value);
  }
  args = await adaptArgs(taskName, module, args, extraArgs, scope, ctx, file.at(moduleEntry.value));
  checkArgs(task, args, extraArgs, file.at(moduleEntry.value));
  step[taskName] = args ?? null;
  if (extraArgs && taskName !== 'extract' && taskName !== 'template' && taskName !== 'copy') step['args'] = extraArgs;
  putWhenAndTags(step, inner, file, node);
  const become = keys.get('become');
  if (become) step['become'] = plain(become.value);
  else if (inner.become !== undefined) step['become'] = inner.become;
  if (inner.becomeUser !== undefined) step['become_user'] = inner.becomeUser;
  for (const key of SAME) {
    const entry = keys.get(key);
    if (entry) step[key] = deep(plain(entry.value), file, entry.value, scope);
  }
  for (const key of CONDITIONS) {
    const entry = keys.get(key);
    if (entry) step[key] = condition(plain(entry.value), file, entry.value, scope);
  }
  const loop = LOOPS.map((l) => keys.get(l)).find(Boolean);
  if (loop) {
    const value = plain(loop.value);
    // with_items: a bare var name, as old playbooks write it.
    step['loop'] = typeof value === 'string' && /^[A-Za-z_][\w.]*$/.test(value.trim()) ? `{{${value.trim()}}}` : deep(value, file, loop.value, scope);
  }
  const control = keys.get('loop_control');
  if (control) step['loop_control'] = deep(plain(control.value), file, control.value, scope);
  return [{ step }];
}

async function convertBlock(node: Node, scope: TaskScope, ctx: ConvertContext): Promise<EmittedStep[]> {
  const { file } = scope;
  const allowed = new Set(['block', 'rescue', 'always', 'name', 'when', 'tags', 'become', 'become_user']);
  const other = entries(node).find((e) => !allowed.has(e.key));
  if (other) throw new Untranslatable(file.at(other.keyNode), `the keyword "${other.key}" on a block is not translated`);
  const inner = innerScope(node, scope, []);
  // Without rescue or always a block only groups: its steps stand alone, each with its when and tags.
  if (!child(node, 'rescue') && !child(node, 'always')) return convertTasks(child(node, 'block'), inner, ctx);
  const emitted: EmittedStep = { step: {}, parts: {} };
  const name = child(node, 'name');
  if (name) emitted.step['name'] = text(plain(name), file, name, scope);
  // The block carries the conditions and tags; its steps, become.
  const inside: TaskScope = { ...inner, when: [], tags: [] };
  for (const part of BLOCK_PARTS) {
    if (child(node, part)) emitted.parts![part] = await convertTasks(child(node, part), inside, ctx);
  }
  putWhenAndTags(emitted.step, inner, file, node);
  return [emitted];
}

/** The scope of the tasks under a block or import: its when, tags and become added to the outer ones. */
function innerScope(node: Node, scope: TaskScope, importKeys: string[]): TaskScope {
  const isImport = importKeys.some((k) => child(node, k));
  const isBlock = child(node, 'block') !== null;
  if (!isImport && !isBlock) return scope;
  const when = child(node, 'when');
  const tags = child(node, 'tags');
  const become = plain(child(node, 'become'));
  const becomeUser = plain(child(node, 'become_user'));
  const inner: TaskScope = {
    ...scope,
    when: [...scope.when, ...(when ? conditionList(plain(when), scope.file, when, scope) : [])],
    tags: [...scope.tags, ...list(plain(tags))],
  };
  if (typeof become === 'boolean') inner.become = become;
  if (typeof becomeUser === 'string') inner.becomeUser = becomeUser;
  return inner;
}

function putWhenAndTags(step: Record<string, unknown>, scope: TaskScope, file: AnsibleFile, node: Node): void {
  const own = child(node, 'when');
  const isImport = ['import_tasks', 'include_tasks', 'include_role', 'import_role', 'block'].some((k) => child(node, k));
  const when = [...scope.when, ...(own && !isImport ? conditionList(plain(own), file, own, scope) : [])];
  if (when.length === 1) step['when'] = when[0];
  else if (when.length > 1) step['when'] = when;
  const tags = [...scope.tags, ...(isImport ? [] : list(plain(child(node, 'tags'))))];
  if (tags.length > 0) step['tags'] = [...new Set(tags)];
}

function source(file: AnsibleFile, node: Node): string {
  const [start, end] = node.range ?? [0, 0];
  const lineStart = file.text.lastIndexOf('\n', start - 1) + 1;
  return file.text.slice(lineStart, end).replace(/\s+$/, '');
}

function failing(file: AnsibleFile, node: Node, e: Untranslatable, name: string | undefined): EmittedStep {
  return failStep(e.at, e.message, name, source(file, node));
}

/** The step left where something could not be translated: it fails, saying where and why. */
export function failStep(at: string, message: string, name: string | undefined, original?: string): EmittedStep {
  // The message quotes Jinja: escaped, so our templating prints its braces instead of reading them.
  const msg = `runbook convert could not translate ${at}: ${message}`.replace(/\{\{/g, '\\{{');
  return {
    step: { name: `NOT CONVERTED${name ? `: ${name.replace(/\{\{/g, '\\{{')}` : ''}`, fail: { msg } },
    comment: `${at}: ${message}${original ? `\n${original}` : ''}`,
  };
}
