// Where a runbook play's time goes: the start-up phases, then one play run in-process through
// runPlay with every SSH exec counted and timed per step, and every read-ahead batch (its
// scripts run one after another on the host) with its size (SshTransport.prototype.exec and
// execMany wrapped here, in bench code only).
//
//   node --conditions=development --import tsx bench/profile.ts [inventory] [runbook] [--check]
//   (defaults: the `perf` lab's inventory, bench/runbooks/config.yaml; BENCH_EXTRA_VARS: a JSON
//   object of extra vars, e.g. the lab mirror for bench/runbooks/converge.yaml)
//
// Needs the lab up (bench/run.ts brings it up) and the runbook already converged for a no-op.

import { join } from 'node:path';
import { planPlay } from '../src/engine/plan.js';
import { runPlay } from '../src/engine/run.js';
import type { RunEvent } from '../src/engine/events.js';
import { labDir } from '../src/lab/paths.js';
import { loadInventory } from '../src/load/inventory.js';
import { loadRunbook } from '../src/load/runbook.js';
import { loadTaskRegistry } from '../src/task/registry.js';
import { openLibrary, shippedLayer } from '../src/project/library.js';
import { SshTransport } from '../src/transport/ssh.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const checkMode = process.argv.includes('--check');
const inventoryPath = args[0] ?? join(labDir('perf'), 'inventory.yaml');
const runbookRef = args[1] ?? join(import.meta.dirname, 'runbooks/config.yaml');

const stepOf = new Map<string, string>();
const execs = new Map<string, { count: number; ms: number }>();
let current = '(connect)';
const batches = new Map<string, { count: number; scripts: number; ms: number }>();
const execMany = SshTransport.prototype.execMany;
SshTransport.prototype.execMany = async function (this: SshTransport, ...a: Parameters<typeof execMany>) {
  const step = current;
  const t = performance.now();
  const results = await execMany.apply(this, a);
  // A batch's time: from sending it until its last script has ended on the host.
  void Promise.allSettled(results ?? []).then(() => {
    const b = batches.get(step) ?? { count: 0, scripts: 0, ms: 0 };
    b.count++;
    b.scripts += a[0].length;
    b.ms += performance.now() - t;
    batches.set(step, b);
  });
  return results;
};
const exec = SshTransport.prototype.exec;
SshTransport.prototype.exec = async function (this: SshTransport, ...a: Parameters<typeof exec>) {
  const step = current;
  const t = performance.now();
  try {
    return await exec.apply(this, a);
  } finally {
    const e = execs.get(step) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += performance.now() - t;
    execs.set(step, e);
  }
};

const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const r = await fn();
  console.log(`${name}: ${(performance.now() - t).toFixed(0)} ms (rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
  return r;
};

const registry = await phase('loadTaskRegistry', () => loadTaskRegistry([shippedLayer()]));
const runbook = await phase('loadRunbook', async () => loadRunbook(runbookRef, { library: await openLibrary(import.meta.dirname), registry }));
const inventory = await phase('loadInventory', () => loadInventory(inventoryPath));

const stepWall = new Map<string, number>();
const hostMs = new Map<string, number[]>();
let stepStart = 0;
const sink = {
  emit(e: RunEvent) {
    if (e.type === 'step-start') {
      current = e.stepName;
      stepOf.set(e.stepId, e.stepName);
      stepStart = performance.now();
    } else if (e.type === 'step-end') {
      stepWall.set(stepOf.get(e.stepId)!, performance.now() - stepStart);
      current = '(between steps)';
    } else if (e.type === 'host-result') {
      hostMs.set(e.stepName, [...(hostMs.get(e.stepName) ?? []), e.durationMs]);
    }
  },
};
const plan = await phase('planPlay', () => planPlay({ runbook, inventory, registry, extraVars: JSON.parse(process.env.BENCH_EXTRA_VARS ?? '{}'), tags: { only: [], skip: [] } }));
const result = await phase(`runPlay (${checkMode ? '--check' : 'play'})`, () =>
  runPlay({ plan, sinks: [sink], projectDir: import.meta.dirname, runId: `profile-${Date.now()}`, checkMode, forks: 100 }),
);

const hosts = Object.keys(result.recap).length;
console.log(`\n${hosts} hosts, status ${result.status}\n`);
console.log('| step | wall | host durations (min-max) | execs per host | exec time per host | read-ahead batches per host (scripts) | batch time per host |');
console.log('|---|---|---|---|---|---|---|');
const perHost = (name: string) => {
  const e = execs.get(name) ?? { count: 0, ms: 0 };
  const b = batches.get(name) ?? { count: 0, scripts: 0, ms: 0 };
  return `${(e.count / hosts).toFixed(1)} | ${(e.ms / hosts).toFixed(0)} ms | ${(b.count / hosts).toFixed(1)} (${(b.scripts / hosts).toFixed(0)}) | ${(b.ms / hosts).toFixed(0)} ms`;
};
for (const [name, wall] of stepWall) {
  const d = hostMs.get(name) ?? [];
  console.log(`| ${name} | ${wall.toFixed(0)} ms | ${Math.min(...d).toFixed(0)}-${Math.max(...d).toFixed(0)} ms | ${perHost(name)} |`);
}
for (const name of ['(connect)', '(between steps)']) {
  if (execs.has(name) || batches.has(name)) console.log(`| ${name} | | | ${perHost(name)} |`);
}
