// A runbook file and everything it includes, as one Runbook: header checked, vars declared, steps
// parsed and includes expanded (each included step carrying its scope and a stable id).
// Over 300 lines for a reason: the Expander is one walk of the include tree whose frames (scope,
// when, tags, hosts, blocks) and collected errors every part shares; a step's own parsing is in
// step.ts, var declarations in var-decls.ts.

import { createHash } from 'node:crypto';
import { basename, dirname, extname, relative } from 'node:path';
import { resolveRunbook, templateOverrideDirs, type Library } from '../project/library.js';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { UserError } from '../errors.js';
import type { BlockPlace, PlanItem, Runbook, SourcePos, StepDecl, UndoGroup, VarDecl, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import { throwCollected } from './errors.js';
import { issueErrors } from './issues.js';
import { blockStepSchema, checkpointStepSchema, flushHandlersStepSchema, includeStepSchema, runbookHeaderSchema } from './schema.js';
import { mapEntries, parseTaskStep, type StepContext } from './step.js';
import { taskNameOf } from './task-args.js';
import { defaultsOf, parseVarDecls } from './var-decls.js';
import { collectPositions, readYamlFile, type YamlSource } from './yaml-source.js';

interface RunbookFile {
  source: YamlSource;
  header: {
    name?: string;
    description?: string;
    hosts?: string;
    strategy?: 'linear' | 'free';
    serial?: number | string;
    on_failure?: 'stop' | 'rollback';
  };
  vars: Record<string, VarDecl>;
  /** Where the header's `hosts:` is written. */
  hostsPos?: SourcePos;
  defaultPositions: Record<string, SourcePos>;
  steps: Node[];
  handlers: Node[];
}

interface Frame {
  /** Id chain of the includes that led to this file (`top.yaml#3/`). */
  idPrefix: string;
  /** The files, as included, that led to this one (StepDecl.origin). */
  origin: string[];
  /** Files being expanded, outermost first: an include of one of them is a cycle. */
  stack: string[];
  scope: Vars;
  scopePositions: Record<string, SourcePos>;
  when: string[];
  whenPos?: SourcePos;
  tags: string[];
  /** An include's `irreversible`: every step it brings in is a point of no return. */
  irreversible?: string;
  /** Vars the runbooks that led here require and their includes did not set (StepDecl.required). */
  required: string[];
  hosts: string;
  /** The `hosts:` of the includes that led here: each narrows every step below it. */
  within: string[];
  /** Where each of `within` is written. */
  withinPos: Array<SourcePos | undefined>;
  /** Where `hosts` is written (a runbook header), when it is. */
  hostsPos?: SourcePos;
  /** The blocks around (StepDecl.blocks). */
  blocks: BlockPlace[];
  /** The includes around with `undo:` steps (StepDecl.undoGroups). */
  undoGroups: string[];
}

/** The frame's `within` with more patterns; `all` and patterns already there add nothing. */
function narrowed(frame: Frame, more: Array<{ pattern: string; pos?: SourcePos }>): Pick<Frame, 'within' | 'withinPos'> {
  const within = [...frame.within];
  const withinPos = [...frame.withinPos];
  for (const { pattern, pos } of more) {
    if (pattern === 'all' || pattern === '*' || within.includes(pattern)) continue;
    within.push(pattern);
    withinPos.push(pos);
  }
  return { within, withinPos };
}

/** A runbook by name, explicit name or path (see project/library.ts), with everything it includes. */
export async function loadRunbook(ref: string, opts: { library: Library; registry: TaskRegistry }): Promise<Runbook> {
  const file = await resolveRunbook(opts.library, ref);
  return new Expander(opts.library, opts.registry, dirname(file)).load(file);
}

class Expander {
  private readonly files = new Map<string, RunbookFile>();
  private readonly items: PlanItem[] = [];
  private readonly handlers: StepDecl[] = [];
  private readonly errors: UserError[] = [];
  private readonly undoGroups = new Map<string, UndoGroup>();
  /** Required vars of included runbooks that no include supplies: the play must. */
  private readonly required: Record<string, VarDecl> = Object.create(null);

  constructor(
    private readonly library: Library,
    private readonly registry: TaskRegistry,
    private readonly topDir: string,
  ) {}

  async load(file: string): Promise<Runbook> {
    const top = await this.parseFile(file);
    const hosts = top.header.hosts ?? 'all';
    const required = Object.keys(top.vars).filter((name) => top.vars[name].required);
    await this.expand(top, { idPrefix: '', origin: [], stack: [file], scope: {}, scopePositions: {}, when: [], tags: [], required, hosts, hostsPos: top.hostsPos, within: [], withinPos: [], blocks: [], undoGroups: [] });
    throwCollected(this.errors);
    const hash = createHash('sha256');
    for (const f of this.files.values()) hash.update(f.source.hash);
    return {
      file,
      hash: hash.digest('hex'),
      name: top.header.name ?? basename(file, extname(file)),
      description: top.header.description,
      hosts,
      strategy: top.header.strategy ?? 'linear',
      serial: top.header.serial,
      onFailure: top.header.on_failure ?? 'stop',
      vars: { ...this.required, ...top.vars },
      items: this.items,
      handlers: this.handlers,
      ...(this.undoGroups.size ? { undoGroups: this.undoGroups } : {}),
      dir: this.topDir,
      templateDirs: templateOverrideDirs(this.library),
    };
  }

  private async parseFile(file: string): Promise<RunbookFile> {
    const cached = this.files.get(file);
    if (cached) return cached;
    const source = await readYamlFile(file);
    const root = source.doc.contents as Node | null;
    if (!isMap(root)) throw new UserError('schema', 'a runbook is a mapping (name:, vars:, steps:, ...)', { pos: source.pos(root) });
    const positions: Record<string, SourcePos> = {};
    collectPositions(source, root, '', positions);
    const parsed = runbookHeaderSchema.safeParse(source.value(root));
    if (!parsed.success) throwCollected(issueErrors(parsed.error, { positions, prefix: '', keyNoun: 'runbook key', schema: runbookHeaderSchema }));
    const node = (key: string) => mapEntries(root).find((e) => e.key === key)?.value;
    const vars = parseVarDecls(source, node('vars'));
    throwCollected(vars.errors);
    const items = (key: string) => {
      const n = node(key);
      return isSeq(n) ? (n.items as Node[]) : [];
    };
    // The modules of the tasks this file names, before its steps are parsed: every key under its
    // steps and handlers that names a task (at any depth, so blocks' and undo's steps are in; an
    // argument called like a task only loads one module more).
    const keys = new Set<string>();
    [...items('steps'), ...items('handlers')].forEach((n) => collectKeys(n, keys));
    await this.registry.load([...keys].flatMap((k) => taskNameOf(k, this.registry) ?? []));
    const result: RunbookFile = {
      source,
      header: parsed.data!,
      vars: vars.decls,
      hostsPos: positions.hosts,
      defaultPositions: vars.defaultPositions,
      steps: items('steps'),
      handlers: items('handlers'),
    };
    this.files.set(file, result);
    return result;
  }

  private label(file: string): string {
    const rel = relative(this.topDir, file);
    return rel.startsWith('..') ? basename(file) : rel;
  }

  private async expand(rb: RunbookFile, frame: Frame): Promise<void> {
    const prefix = frame.idPrefix + this.label(rb.source.file);
    await this.steps(rb, rb.steps, frame, prefix, prefix);
    const ctx = this.stepContext(rb, frame, prefix, `${prefix}/handlers`);
    rb.handlers.forEach((node, i) => this.collect(parseTaskStep(node, i, { ...ctx, handler: true }), this.handlers));
  }

  /** The steps of a list (a runbook's, or a block's part), `idPrefix` naming the list, `prefix` the file. */
  private async steps(rb: RunbookFile, nodes: Node[], frame: Frame, prefix: string, idPrefix: string): Promise<void> {
    const ctx = this.stepContext(rb, frame, prefix, idPrefix);
    for (const [i, node] of nodes.entries()) {
      const keys = isMap(node) ? mapEntries(node).map((e) => e.key) : [];
      if (keys.includes('include')) await this.include(rb, node, i, frame, prefix, idPrefix);
      else if (keys.includes('block')) await this.block(rb, node, i, frame, prefix, idPrefix);
      else if (keys.includes('checkpoint') && frame.blocks.length > 0) {
        this.errors.push(new UserError('schema', 'a checkpoint inside a block: resume and rollback need it where every host passes', { pos: rb.source.pos(node), hint: 'put it before or after the block' }));
      } else if (keys.includes('checkpoint')) this.marker(rb, node, 'checkpoint');
      else if (keys.includes('flush_handlers')) this.marker(rb, node, 'flush_handlers');
      else this.collect(parseTaskStep(node, i, ctx), this.items);
    }
  }

  private stepContext(rb: RunbookFile, frame: Frame, prefix: string, idPrefix: string): StepContext {
    return {
      source: rb.source,
      registry: this.registry,
      idPrefix,
      origin: [...frame.origin, prefix],
      hosts: frame.hosts,
      within: frame.within,
      withinPos: frame.withinPos,
      scope: frame.scope,
      scopePositions: frame.scopePositions,
      when: frame.when,
      whenPos: frame.whenPos,
      tags: frame.tags,
      irreversible: frame.irreversible,
      required: frame.required,
      handler: false,
      blocks: frame.blocks,
      undoGroups: frame.undoGroups,
    };
  }

  /** A block's steps, rescue and always, each step knowing its place (engine/blocks.ts runs them so). */
  private async block(rb: RunbookFile, node: Node, index: number, frame: Frame, prefix: string, idPrefix: string): Promise<void> {
    const step = this.validate(rb, node, blockStepSchema, 'key of a block');
    if (!step) return;
    const entries = isMap(node) ? mapEntries(node) : [];
    const id = `${idPrefix}#${index + 1}`;
    const when = step.when === undefined ? [] : (Array.isArray(step.when) ? step.when : [step.when]).map(String);
    const whenEntry = entries.find((e) => e.key === 'when');
    for (const part of ['block', 'rescue', 'always'] as const) {
      const list = entries.find((e) => e.key === part)?.value;
      if (!isSeq(list)) continue;
      const place: BlockPlace = { block: id, name: step.name ?? `block ${index + 1}`, part, hasRescue: (step.rescue?.length ?? 0) > 0, hasAlways: (step.always?.length ?? 0) > 0 };
      const inner: Frame = {
        ...frame,
        when: [...frame.when, ...when],
        whenPos: whenEntry ? rb.source.pos(whenEntry.value) : frame.whenPos,
        tags: [...frame.tags, ...(step.tags === undefined ? [] : Array.isArray(step.tags) ? step.tags : [step.tags])],
        blocks: [...frame.blocks, place],
      };
      await this.steps(rb, list.items as Node[], inner, prefix, `${id}/${part}`);
    }
  }

  private collect(result: ReturnType<typeof parseTaskStep>, into: PlanItem[] | StepDecl[]): void {
    this.errors.push(...result.errors);
    if (!result.step) return;
    if (into === this.items) this.items.push({ kind: 'step', step: result.step });
    else this.handlers.push(result.step);
  }

  private validate<T>(rb: RunbookFile, node: Node, schema: { safeParse(v: unknown): { success: boolean; data?: T; error?: unknown } }, noun: string): T | undefined {
    const positions: Record<string, SourcePos> = {};
    collectPositions(rb.source, node, '', positions);
    const parsed = schema.safeParse(rb.source.value(node));
    if (parsed.success) return parsed.data;
    this.errors.push(...issueErrors(parsed.error as never, { positions, prefix: '', keyNoun: noun, schema: schema as never }));
    return undefined;
  }

  private marker(rb: RunbookFile, node: Node, kind: 'checkpoint' | 'flush_handlers'): void {
    const pos = rb.source.pos(node);
    if (kind === 'checkpoint') {
      const step = this.validate(rb, node, checkpointStepSchema, 'key of a checkpoint');
      if (step) this.items.push({ kind, name: step.checkpoint, pos });
    } else if (this.validate(rb, node, flushHandlersStepSchema, 'key of flush_handlers')) {
      this.items.push({ kind, pos });
    }
  }

  private async include(rb: RunbookFile, node: Node, index: number, frame: Frame, prefix: string, idPrefix: string): Promise<void> {
    const step = this.validate(rb, node, includeStepSchema, 'key of an include');
    if (!step) return;
    const entries = isMap(node) ? mapEntries(node) : [];
    const entry = (key: string) => entries.find((e) => e.key === key);
    const pos = rb.source.pos(entry('include')?.value);
    let target: string;
    try {
      target = await resolveRunbook(this.library, step.include, { from: rb.source.file, pos });
    } catch (e) {
      this.errors.push(e as UserError);
      return;
    }
    if (frame.stack.includes(target)) {
      const chain = [...frame.stack.slice(frame.stack.indexOf(target)), target].map((f) => this.label(f)).join(' → ');
      const hint = target === rb.source.file && !step.include.includes('/') ? `to include the ${step.include} this one replaces, name it explicitly (e.g. runbook/${step.include})` : 'a runbook cannot include itself, directly or through others';
      this.errors.push(new UserError('include', `include cycle: ${chain}`, { pos, hint }));
      return;
    }
    let included: RunbookFile;
    try {
      included = await this.parseFile(target);
    } catch (e) {
      this.errors.push(e as UserError);
      return;
    }
    const includeVarPositions: Record<string, SourcePos> = {};
    collectPositions(rb.source, entry('vars')?.value, 'scope', includeVarPositions);
    delete includeVarPositions.scope;
    const includeVars = step.vars ?? {};
    const scope = { ...defaultsOf(included.vars), ...frame.scope, ...includeVars };
    const required = [...frame.required];
    for (const [name, decl] of Object.entries(included.vars)) {
      if (!decl.required || Object.hasOwn(scope, name)) continue;
      this.required[name] ??= decl;
      if (!required.includes(name)) required.push(name);
    }
    const when = step.when === undefined ? [] : (Array.isArray(step.when) ? step.when : [step.when]).map(String);
    const id = `${idPrefix}#${index + 1}`;
    const inner: Frame = {
      idPrefix: `${id}/`,
      origin: [...frame.origin, prefix],
      stack: [...frame.stack, target],
      scope,
      scopePositions: { ...included.defaultPositions, ...frame.scopePositions, ...includeVarPositions },
      when: [...frame.when, ...when],
      whenPos: entry('when') ? rb.source.pos(entry('when')!.value) : frame.whenPos,
      tags: [...frame.tags, ...(step.tags === undefined ? [] : Array.isArray(step.tags) ? step.tags : [step.tags])],
      irreversible: step.irreversible ?? frame.irreversible,
      required,
      // What an include brings in runs only on hosts of the including runbook (its default hosts)
      // and of the include's own `hosts:`, as a play's hosts bound a role's tasks: base.yaml says
      // `hosts: all`, but included by install-cluster it runs on the cluster's hosts only.
      hosts: included.header.hosts ?? frame.hosts,
      ...narrowed(frame, [
        { pattern: frame.hosts, pos: frame.hostsPos },
        ...(step.hosts ? [{ pattern: step.hosts, pos: rb.source.pos(entry('hosts')?.value) }] : []),
      ]),
      hostsPos: included.header.hosts ? included.hostsPos : frame.hostsPos,
      blocks: frame.blocks,
      undoGroups: frame.undoGroups,
    };
    const undo = entry('undo')?.value;
    if (isSeq(undo)) {
      this.undoGroups.set(id, { id, name: step.name ?? step.include, steps: this.undoSteps(rb, undo.items as Node[], { ...inner, origin: frame.origin, hosts: frame.hosts }, prefix, `${id}/undo`) });
      inner.undoGroups = [...frame.undoGroups, id];
    }
    await this.expand(included, inner);
  }

  /**
   * An include's `undo:` steps, written in the including file with the include's vars. Not its
   * `when`: they run where the include changed something, so its conditions held (and a var
   * registered during the play is not there at rollback).
   */
  private undoSteps(rb: RunbookFile, nodes: Node[], inner: Frame, prefix: string, idPrefix: string): StepDecl[] {
    const ctx = this.stepContext(rb, { ...inner, when: [], whenPos: undefined, irreversible: undefined }, prefix, idPrefix);
    const steps: StepDecl[] = [];
    nodes.forEach((node, i) => {
      const parsed = parseTaskStep(node, i, ctx);
      this.errors.push(...parsed.errors);
      if (parsed.step) steps.push(parsed.step);
    });
    return steps;
  }
}

function collectKeys(node: unknown, into: Set<string>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) into.add(String(pair.key.value));
      collectKeys(pair.value, into);
    }
  } else if (isSeq(node)) node.items.forEach((item) => collectKeys(item, into));
}
