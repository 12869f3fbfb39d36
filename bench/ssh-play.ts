// A no-op play of 30 steps on N SSH targets (one local sshd per target), run in-process through
// runPlay: what the engine plus the SSH transport cost per host when nothing needs changing.
//
//   node --conditions=development --import tsx bench/ssh-play.ts [N...]     (default: 3 10 20)
//
// Needs root and openssh-server; logs in as `runbook-bench` (bench/ssh-user.ts says why).

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planPlay } from '../src/engine/plan.js';
import { runPlay } from '../src/engine/run.js';
import { loadInventory } from '../src/load/inventory.js';
import { loadRunbook } from '../src/load/runbook.js';
import { loadTaskRegistry } from '../src/task/registry.js';
import { openLibrary, shippedLayer } from '../src/project/library.js';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import { ensureBenchUser, BENCH_USER } from './ssh-user.js';

const STEPS = 30;
const RUNS = 3;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

ensureBenchUser();
const registry = await loadTaskRegistry([shippedLayer()]);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

console.log(`| targets | no-op play, ${STEPS} steps (median of ${RUNS}, after a warm-up) | min | max | per host-step | TCP connections per host per run |`);
console.log('|---|---|---|---|---|---|');
for (const n of sizes.length ? sizes : [3, 10, 20]) {
  const project = mkdtempSync(join(tmpdir(), 'runbook-bench-play-'));
  const servers: Sshd[] = [];
  try {
    servers.push(await startSshd());
    for (let i = 1; i < n; i++) servers.push(await startSshd({ authorizedKey: `${servers[0].userKey}.pub` }));
    writeFiles(project, servers);
    const inventory = await loadInventory(join(project, 'inventory.yaml'));
    const runbook = await loadRunbook('noop', { library: await openLibrary(project), registry });

    const times: number[] = [];
    const connectionsBefore = servers.reduce((sum, s) => sum + s.connections(), 0);
    for (let run = 0; run <= RUNS; run++) {
      const started = process.hrtime.bigint();
      const result = await runPlay({ plan: await planPlay({ runbook, inventory, registry, extraVars: {}, tags: { only: [], skip: [] } }), sinks: [], projectDir: project, runId: `bench-${run}` });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const changed = Object.values(result.recap).reduce((sum, r) => sum + r.changed + r.failed + r.unreachable, 0);
      if (result.exitCode !== 0 || changed !== 0) throw new Error(`the play was not a clean no-op: ${JSON.stringify(result.recap)}`);
      if (run > 0) times.push(ms); // run 0 is the warm-up
    }
    const connections = servers.reduce((sum, s) => sum + s.connections(), 0) - connectionsBefore;
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(
      `| ${n} | ${median.toFixed(0)} ms | ${times[0].toFixed(0)} ms | ${times[times.length - 1].toFixed(0)} ms | ` +
        `${(median / (n * STEPS)).toFixed(2)} ms | ${(connections / (n * (RUNS + 1))).toFixed(0)} |`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(project, { recursive: true, force: true });
  }
}
clearInterval(sampler);
console.log(`\ncontroller peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

function writeFiles(project: string, servers: Sshd[]): void {
  mkdirSync(join(project, 'runbooks'));
  const steps = Array.from({ length: STEPS }, (_, i) => `  - name: step ${i + 1} (the directory is there)\n    file:\n      path: /tmp\n      state: directory\n`);
  writeFileSync(join(project, 'runbooks', 'noop.yaml'), `name: noop\nhosts: all\nsteps:\n${steps.join('')}`);
  writeFileSync(join(project, 'known_hosts'), servers.map((s) => s.knownHostsLine).join('\n') + '\n');
  const hosts = servers.map(
    (s, i) =>
      `    t${String(i + 1).padStart(2, '0')}: { ansible_host: 127.0.0.1, ansible_port: ${s.port}, ansible_user: ${BENCH_USER}, ansible_ssh_private_key_file: ${servers[0].userKey} }`,
  );
  writeFileSync(join(project, 'inventory.yaml'), `all:\n  vars:\n    known_hosts_file: ${join(project, 'known_hosts')}\n  hosts:\n${hosts.join('\n')}\n`);
}
