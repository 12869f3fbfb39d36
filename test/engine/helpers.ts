// Builds model objects (what the loader would produce) for engine tests, runs plays on local
// hosts in a temp dir and collects the events.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../src/engine/events.js';
import { planPlay } from '../../src/engine/plan.js';
import { runPlay, type PlayOptions, type PlayResult } from '../../src/engine/run.js';
import type { Inventory, InventoryGroup, InventoryHost, PlanItem, Runbook, StepDecl, Vars } from '../../src/model.js';
import { loadTaskRegistry, type TaskRegistry } from '../../src/task/registry.js';
import { taskLayer } from '../helpers/layers.js';

export const fixtureTasks = fileURLToPath(new URL('../fixtures/engine/tasks/', import.meta.url));

let registry: Promise<TaskRegistry> | undefined;
export function fixtureRegistry(): Promise<TaskRegistry> {
  return (registry ??= loadTaskRegistry([taskLayer(fixtureTasks)]));
}

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-engine-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

let counter = 0;
export function step(task: string, args: unknown, more: Partial<StepDecl> = {}): StepDecl {
  const name = more.name ?? `${task} ${++counter}`;
  return {
    id: `test.yaml#${counter}:${name}`,
    origin: ['test.yaml'],
    hash: String(counter),
    name,
    pos: { file: '/nonexistent/runbooks/test.yaml', line: counter, col: 3 },
    positions: {},
    hosts: 'all',
    task,
    args,
    scope: {},
    notify: [],
    tags: [],
    runOnce: false,
    loopVar: 'item',
    ignoreErrors: false,
    anyErrorsFatal: false,
    noLog: false,
    ...more,
  };
}

export function runbook(items: Array<StepDecl | PlanItem>, more: Partial<Runbook> = {}): Runbook {
  return {
    file: '/nonexistent/runbooks/test.yaml',
    hash: 'h',
    name: 'test',
    hosts: 'all',
    strategy: 'linear',
    onFailure: 'stop',
    vars: {},
    items: items.map((i) => ('kind' in i ? i : { kind: 'step' as const, step: i })),
    handlers: [],
    dir: '/nonexistent/runbooks',
    templateDirs: [],
    ...more,
  };
}

/** Local hosts h1..hn, all in group `all`; `groups` adds named groups. */
export function inventory(n: number, groups: Record<string, string[]> = {}, hostVars: Record<string, Vars> = {}): Inventory {
  const hosts = new Map<string, InventoryHost>();
  for (let i = 1; i <= n; i++) {
    const name = `h${i}`;
    hosts.set(name, { name, connection: 'local', address: 'localhost', vars: hostVars[name] ?? {} });
  }
  const g = new Map<string, InventoryGroup>();
  g.set('all', { name: 'all', hosts: [...hosts.keys()], children: [], vars: {} });
  for (const [name, members] of Object.entries(groups)) g.set(name, { name, hosts: members, children: [], vars: {} });
  const grouped = new Set(Object.values(groups).flat());
  g.set('ungrouped', { name: 'ungrouped', hosts: [...hosts.keys()].filter((h) => !grouped.has(h)), children: [], vars: {} });
  return { hash: 'i', hosts, groups: g };
}

export interface Played extends PlayResult {
  events: RunEvent[];
  results: Array<Extract<RunEvent, { type: 'host-result' }>>;
}

/** What a test plays: the plan's inputs (the fixture registry unless given) and the engine's options. */
export type PlayInput = Omit<PlayOptions, 'plan' | 'sinks' | 'projectDir' | 'runId'> &
  Partial<Pick<PlayOptions, 'sinks' | 'projectDir' | 'runId'>> & {
    runbook: Runbook;
    inventory: Inventory;
    registry?: TaskRegistry;
    extraVars?: Vars;
    limit?: string;
    tags?: string[];
    skipTags?: string[];
    steps?: string[];
    startAtStep?: string;
  };

export async function play(input: PlayInput): Promise<Played> {
  const events: RunEvent[] = [];
  const { runbook, inventory, registry, extraVars, limit, tags, skipTags, steps, startAtStep, ...options } = input;
  const plan = await planPlay({
    runbook,
    inventory,
    registry: registry ?? (await fixtureRegistry()),
    extraVars: extraVars ?? {},
    limit,
    tags: { only: tags ?? [], skip: skipTags ?? [] },
    steps: { names: steps, startAt: startAtStep },
  });
  const result = await runPlay({
    plan,
    projectDir: '/nonexistent',
    runId: 'test',
    sinks: [{ emit: (e) => void events.push(e) }],
    ...options,
  });
  const results = events.filter((e): e is Extract<RunEvent, { type: 'host-result' }> => e.type === 'host-result');
  return { ...result, events, results };
}

export async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** `host:status` of each result of the named step, sorted. */
export function statuses(p: Played, stepName: string): string[] {
  return p.results.filter((r) => r.stepName === stepName).map((r) => `${r.host}:${r.status}`).sort();
}
