// Runs a task's check / apply / undo directly on the local machine (LocalTransport + HostShell),
// without the engine, and compares directory trees byte for byte. Every task suite uses it:
//
//   const dir = tempDir();
//   const run = await lifecycle(myTask, { path: `${dir}/x`, ... }, { root: dir });
//   // check in --check mode changed nothing, apply converged, a second check is in sync,
//   // undo restored the tree exactly; run.check is the first check's result.
//
// Nothing is faked: commands really run, templates render with the loader's renderer, facts are
// gathered by the engine's FactsCache.

import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import * as assert from 'uvu/assert';
import type { z } from 'zod';
import { FactsCache } from '../../src/engine/facts.js';
import { runCheck } from '../../src/task/check.js';
import { controllerInfo } from '../../src/task/controller.js';
import { renderTemplateFile } from '../../src/template/index.js';
import type { Vars } from '../../src/model.js';
import type { ApplyResult, CheckResult, ControllerInfo, TaskContext, TaskDefinition, UndoContext } from '../../src/task/types.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';

export const shell = new HostShell(new LocalTransport('local'), userInfo().username);

const temps: string[] = [];

/** A fresh temp directory, removed by `cleanup()` (call it from test.after). */
export function tempDir(prefix = 'runbook-task-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface ContextOptions {
  checkMode?: boolean;
  vars?: Vars;
  /** Where relative `src` and templates resolve (ctx.controller.runbookDir). */
  runbookDir?: string;
  /** ctx.controller.cacheDir. */
  cacheDir?: string;
  /** The host's shell, when not the local machine's as is (a transport that forwards nothing, say). */
  shell?: HostShell;
}

const facts = new FactsCache();
const controller = new AbortController();

/** A real TaskContext for the local machine; args are parsed with the task's own schema. */
export function context<S extends z.ZodType>(task: TaskDefinition<S>, rawArgs: unknown, options: ContextOptions = {}): TaskContext<z.output<S>> {
  const runbookDir = options.runbookDir ?? process.cwd();
  const vars = options.vars ?? {};
  return {
    args: task.args.parse(rawArgs),
    host: 'local',
    vars,
    shell: options.shell ?? shell,
    checkMode: options.checkMode ?? false,
    log: () => {},
    facts: () => facts.get(options.shell ?? shell),
    renderTemplate: (path, extraVars) => renderTemplateFile(isAbsolute(path) ? path : resolve(runbookDir, path), { ...vars, ...extraVars }),
    peers: () => [],
    controller: testController(options),
    signal: controller.signal,
  };
}

/** The engine's ControllerInfo for a project at runbookDir, its cache kept out of the checkout. */
function testController(options: ContextOptions): ControllerInfo {
  const runbookDir = options.runbookDir ?? process.cwd();
  return { ...controllerInfo(runbookDir, 'test-run', { runbookDir }), cacheDir: options.cacheDir ?? join(tmpdir(), 'runbook-test-cache') };
}

export function undoContext(): UndoContext {
  return { host: 'local', shell, vars: {}, log: () => {}, controller: testController({}), signal: controller.signal };
}

export async function check<S extends z.ZodType>(task: TaskDefinition<S>, args: unknown, options: ContextOptions = {}): Promise<CheckResult> {
  return runCheck(task, context(task, args, options));
}

export interface Converged {
  check: CheckResult;
  apply?: ApplyResult | void;
  /** The undo record the engine would keep: apply's when it returned one, else check's. */
  undo: unknown;
}

/** check, then apply when not in sync, then assert a second check is in sync. */
export async function converge<S extends z.ZodType>(task: TaskDefinition<S>, args: unknown, options: ContextOptions = {}): Promise<Converged> {
  const ctx = context(task, args, options);
  const first = await runCheck(task, ctx);
  if (first.inSync) return { check: first, undo: first.undo };
  const applied = await task.apply(ctx, first.observed);
  const again = await runCheck(task, context(task, args, options));
  assert.ok(again.inSync, `not in sync after apply: ${again.summary}`);
  return { check: first, apply: applied, undo: (applied && applied.undo) ?? first.undo };
}

export async function undo<S extends z.ZodType>(task: TaskDefinition<S>, record: unknown): Promise<void> {
  assert.ok(task.undo, `${task.name} has no undo`);
  await task.undo!(undoContext(), record as never);
}

export interface LifecycleOptions extends ContextOptions {
  /** The tree to compare before/after (usually the test's temp dir). */
  root: string;
}

/**
 * The contract every reversible task meets, in one call: a --check changes nothing and predicts
 * apply (same summary and diff); apply converges; a second check is in sync; undo puts the tree
 * back byte for byte. Returns the first check and the tree after apply.
 */
export async function lifecycle<S extends z.ZodType>(
  task: TaskDefinition<S>,
  args: unknown,
  options: LifecycleOptions,
): Promise<{ check: CheckResult; applied: Tree; undo: unknown }> {
  const before = snapshot(options.root);
  const dry = await check(task, args, { ...options, checkMode: true });
  assert.equal(snapshot(options.root), before, 'check changed the tree');
  assert.is(dry.inSync, false, 'lifecycle wants a case that changes something');
  const run = await converge(task, args, options);
  assert.is(run.check.summary, dry.summary);
  assert.equal(run.check.diff, dry.diff);
  const applied = snapshot(options.root);
  assert.not.equal(applied, before, 'apply changed nothing');
  await undo(task, JSON.parse(JSON.stringify(run.undo)));
  assert.equal(snapshot(options.root), before, 'undo did not restore the tree');
  return { check: dry, applied, undo: run.undo };
}

export interface Entry {
  type: 'file' | 'directory' | 'link' | 'other';
  mode: string;
  uid: number;
  gid: number;
  /** sha256 of a file's bytes (and the first bytes, to make a failing diff readable). */
  content?: string;
  target?: string;
}

export type Tree = Record<string, Entry>;

/** Every entry under root (root itself is '.'), with type, mode, owner, content hash, link target. */
export function snapshot(root: string): Tree {
  const tree: Tree = {};
  const walk = (rel: string) => {
    const path = rel === '.' ? root : join(root, rel);
    const st = lstatSync(path);
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'link' : 'other';
    const entry: Entry = { type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
    if (type === 'file') {
      const bytes = readFileSync(path);
      entry.content = `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)} ${JSON.stringify(bytes.subarray(0, 40).toString('utf8'))}`;
    }
    if (type === 'link') entry.target = readlinkSync(path);
    if (type === 'link') entry.mode = '';
    tree[rel] = entry;
    if (type === 'directory') for (const name of readdirSync(path).sort()) walk(rel === '.' ? name : join(rel, name));
  };
  walk('.');
  return tree;
}

/**
 * Values that would run a command if they reached a shell unquoted. Each one, if executed, creates
 * the canary file; the tests assert it never appears.
 */
export function hostileValues(canary: string): string[] {
  return [
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `'; touch ${canary}; echo '`,
    `"; touch ${canary}; echo "`,
    `x\ntouch ${canary}\n`,
    `$(touch ${canary}) 'quoted' "double" \\back`,
    // Looks like a check's own output (a section header and key=value lines).
    `fake\n@@real\npath=/\ntype=directory\n`,
  ];
}
