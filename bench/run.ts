// runbook vs Ansible on lab hosts: whole processes timed (the built CLI, `ansible-playbook`),
// a warm-up first, then BENCH_RUNS runs per tool, alternating runbook / Ansible within a pair.
//
//   npm run build && node --conditions=development --import tsx bench/run.ts [scenario...]
//
// Scenarios (default: all but converge):
//   help       `runbook --help` start-up
//   noop3      no-op converge of bench/runbooks/config.yaml on 3 lab hosts (vs bench/ansible/config.yml)
//   check3     --check of the same
//   first3     first converge of the same from clean hosts (bench/runbooks/reset.yaml before each run, untimed)
//   sudo3      noop3 as most teams log in: as the user ops, every step through sudo (ansible_become)
//   scale      no-op converge on BENCH_SIZES hosts (default 10,20,50) of one light lab; Ansible too
//              with BENCH_ANSIBLE_SCALE=1 (minutes per run on 2 cores)
//   converge   no-op converge and --check of install-cluster without its smoke test
//              (bench/runbooks/converge.yaml vs bench/ansible/converge.yml); plays it once first
//   full3      runbook only: the whole install-cluster (smoke test included) again on the converged
//              `perf` lab (run converge first)
//   noop3, check3, first3 and scale also time runbook with RUNBOOK_CONTROL_PERSIST=60 (its
//   connections kept between runs, as Ansible's ControlPersist=60s keeps its own).
//
// Peak RSS: the controller process's VmHWM from /proc/<pid>/status, read every 50 ms until it
// exits (runbook is one process); "tree" is the largest sum of VmRSS over the process and its
// descendants seen in one sample (Ansible forks a worker and an ssh per host).
// Labs: `perf` (3 hosts) and `perfscale` (the largest size); both are left up for re-runs.
// Writes the table into bench/RESULTS.md, section "runbook vs Ansible: <scenarios>" (replaced on re-run).

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDir } from '../src/lab/paths.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const CLI = join(ROOT, 'dist/cli/main.js');
const ANSIBLE_DIR = join(BENCH, 'ansible');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '10,20,50').split(',').map(Number);
const ALL = ['help', 'noop3', 'check3', 'first3', 'scale'];
const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : ALL;

interface Sample { ms: number; hwmKiB: number; treeKiB: number; tail: string }
interface Command { label: string; cmd: string; args: string[]; cwd: string; env?: Record<string, string> }
interface Row { scenario: string; tool: string; samples: Sample[]; ansibleTimes?: string }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Row[] = [];
const loads: string[] = [];

/**
 * How fast the machine is right now, by two costs every run pays: Node's own start and a
 * subshell's fork (what a host's probes are made of). A shared VM's speed drifts by 2-4x between
 * hours (RESULTS.md, tenth round): sections measured at different speeds compare only through this.
 */
function calibrate(): string {
  const time = (cmd: string, args: string[]) => {
    const start = performance.now();
    execFileSync(cmd, args, { stdio: 'ignore' });
    return performance.now() - start;
  };
  const node = median(Array.from({ length: 5 }, () => time(process.execPath, ['-e', '0'])));
  const forks = median(Array.from({ length: 3 }, () => time('sh', ['-c', 'i=0; while [ $i -lt 1000 ]; do ( : ); i=$((i + 1)); done'])));
  return `\`node -e 0\` ${node.toFixed(0)} ms, 1000 \`( : )\` subshells in sh ${forks.toFixed(0)} ms`;
}
const speedBefore = calibrate();

function load(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function kib(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

async function descendants(pid: number): Promise<number[]> {
  const tasks = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const kids = tasks.split(' ').filter(Boolean).map(Number);
  return [pid, ...(await Promise.all(kids.map(descendants))).flat()];
}

/** One timed process: wall time from spawn to exit, peak RSS of the process and of its tree. */
function measure(c: Command): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(c.cmd, c.args, { cwd: c.cwd, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    let hwmKiB = 0;
    let treeKiB = 0;
    const poll = setInterval(async () => {
      hwmKiB = Math.max(hwmKiB, await kib(child.pid!, 'VmHWM'));
      const tree = await descendants(child.pid!);
      treeKiB = Math.max(treeKiB, (await Promise.all(tree.map((p) => kib(p, 'VmRSS')))).reduce((a, b) => a + b, 0));
    }, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${c.label}: exit ${code}\n${out}`));
      else resolve({ ms, hwmKiB, treeKiB, tail: out });
    });
  });
}

function runbook(label: string, args: string[], env?: Record<string, string>): Command {
  // cwd bench/: bench/runbooks makes bench/ the project, so the journal goes to bench/.runbook.
  return { label, cmd: process.execPath, args: [CLI, ...args], cwd: BENCH, env };
}

function ansible(label: string, lab: string, hosts: number, args: string[]): Command {
  return {
    label,
    cmd: 'ansible-playbook',
    args,
    cwd: ANSIBLE_DIR,
    env: {
      ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'),
      ANSIBLE_FORKS: String(hosts),
      ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${join(labDir(lab), 'known_hosts')} -o StrictHostKeyChecking=yes`,
    },
  };
}

/**
 * A no-op run must change nothing on any host, or the two tools are not doing the same work:
 * the Ansible twins (bench/ansible) drifted from the runbooks, and each tool keeps undoing the
 * other's bytes. Both recaps print `changed=N` per host.
 */
function requireNoChange(c: Command, s: Sample): void {
  const changed = [...s.tail.matchAll(/changed=(\d+)/g)].map((m) => Number(m[1]));
  if (changed.length === 0 || changed.some((n) => n > 0)) {
    throw new Error(`${c.label}: a no-op run reported changes (the twins in bench/ansible differ from bench/runbooks?)\n${s.tail}`);
  }
}

/**
 * Warm-up each command once, then RUNS rounds of all of them in turn (untimed `before` each);
 * with `noop`, every run after the warm-up must change nothing.
 */
async function pair(scenario: string, commands: Command[], opts: { before?: () => Promise<void>; noop?: boolean } = {}): Promise<void> {
  const { before, noop = false } = opts;
  const samples: Sample[][] = commands.map(() => []);
  loads.push(`${scenario} start ${load()}`);
  for (let round = -1; round < RUNS; round++) {
    for (const [i, c] of commands.entries()) {
      if (before) await before();
      const s = await measure(c);
      process.stderr.write(`${scenario} ${c.label} ${round < 0 ? 'warm-up' : `run ${round + 1}`}: ${s.ms.toFixed(0)} ms\n`);
      if (noop && round >= 0) requireNoChange(c, s);
      if (round >= 0) samples[i]!.push(s);
    }
  }
  loads.push(`${scenario} end ${load()}`);
  // How many times as long Ansible took as each runbook variant (the plain run, the persisting one).
  const ansibleAt = commands.findIndex((c) => c.label === 'ansible');
  const ansibleMs = ansibleAt < 0 ? undefined : median(samples[ansibleAt]!.map((s) => s.ms));
  commands.forEach((c, i) => {
    const m = median(samples[i]!.map((s) => s.ms));
    rows.push({ scenario, tool: c.label, samples: samples[i]!, ansibleTimes: ansibleMs === undefined || i === ansibleAt ? undefined : `${(ansibleMs / m).toFixed(1)}x` });
  });
}

function run(cmd: string, args: string[], cwd = BENCH): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
}

/** The lab up (reused when already up with this size) and the untimed per-lab setup played. */
function lab(name: string, hosts: number, withAnsible = true): string {
  run(process.execPath, [CLI, 'lab', 'up', '--hosts', String(hosts), '--name', name]);
  const inventory = join(labDir(name), 'inventory.yaml');
  run(process.execPath, [CLI, 'play', 'runbooks/setup.yaml', '-i', inventory, '-f', String(hosts), '-e', `ansible_python=${withAnsible}`]);
  return inventory;
}

/** An inventory of the first n hosts of a lab inventory (same vars and groups), for both tools. */
function subsetInventory(inventory: string, n: number): string {
  const names = Array.from({ length: n }, (_, i) => `kafka${String(i + 1).padStart(2, '0')}`);
  const json = run(process.execPath, ['-e', `
    const YAML = require(${JSON.stringify(join(ROOT, 'node_modules/yaml'))});
    const inv = YAML.parse(require('fs').readFileSync(${JSON.stringify(inventory)}, 'utf8'));
    const keep = new Set(${JSON.stringify(names)});
    const pick = (hosts) => Object.fromEntries(Object.entries(hosts).filter(([h]) => keep.has(h)));
    inv.all.hosts = pick(inv.all.hosts);
    for (const g of Object.values(inv.all.children)) g.hosts = pick(g.hosts);
    process.stdout.write(YAML.stringify(inv));`]);
  const dir = join(BENCH, '.work');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `inventory-${n}.yaml`);
  writeFileSync(path, json);
  return path;
}

/** The lab inventory with every host logged into as ops and every step run through sudo, for both tools. */
function sudoInventory(inventory: string): string {
  const path = join(BENCH, '.work', 'inventory-sudo.yaml');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, readFileSync(inventory, 'utf8').replace(/^(\s+)ansible_user: root$/gm, '$1ansible_user: ops\n$1ansible_become: true'));
  return path;
}

const mirrorOf = (inventory: string) => /lab_mirror_url:\s*(\S+)/.exec(readFileSync(inventory, 'utf8'))![1]!;

for (const scenario of scenarios) {
  if (scenario === 'help') {
    await pair('runbook --help', [runbook('runbook', ['--help'])]);
  } else if (scenario === 'sudo3') {
    const inv = sudoInventory(lab('perf', 3));
    run(process.execPath, [CLI, 'play', 'runbooks/config.yaml', '-i', inv, '-f', '3']);
    await pair('no-op converge, 3 hosts, as ops through sudo (config, 15 steps)', [
      runbook('runbook', ['play', 'runbooks/config.yaml', '-i', inv, '-f', '3']),
      ansible('ansible', 'perf', 3, ['-i', inv, 'config.yml']),
    ], { noop: true });
  } else if (scenario === 'noop3' || scenario === 'check3' || scenario === 'first3') {
    const inv = lab('perf', 3);
    const check = scenario === 'check3' ? ['--check'] : [];
    const reset = scenario === 'first3'
      ? async () => void run(process.execPath, [CLI, 'play', 'runbooks/reset.yaml', '-i', inv, '-f', '3'])
      : undefined;
    if (!reset) run(process.execPath, [CLI, 'play', 'runbooks/config.yaml', '-i', inv, '-f', '3']);
    const title = { noop3: 'no-op converge, 3 hosts (config, 15 steps)', check3: '--check, 3 hosts (config, 15 steps)', first3: 'first converge, 3 hosts (config, 15 steps)' }[scenario];
    await pair(title, [
      runbook('runbook', ['play', 'runbooks/config.yaml', '-i', inv, '-f', '3', ...check]),
      ansible('ansible', 'perf', 3, ['-i', inv, 'config.yml', ...check]),
      // Connections kept between runs, as Ansible's ControlPersist keeps them (README).
      runbook('runbook, persist', ['play', 'runbooks/config.yaml', '-i', inv, '-f', '3', ...check], { RUNBOOK_CONTROL_PERSIST: '60' }),
    ], { before: reset, noop: !reset });
  } else if (scenario === 'converge') {
    const inv = lab('perf', 3);
    const extra = JSON.stringify({ mirror: [mirrorOf(inv)], java_distribution: 'openjdk', java_package: 'openjdk-17-jre-headless' });
    run(process.execPath, [CLI, 'play', 'runbooks/converge.yaml', '-i', inv, '-f', '3', '-e', extra]);
    const ansibleExtra = JSON.stringify({ mirror: [mirrorOf(inv)] });
    for (const check of [[], ['--check']]) {
      await pair(`install-cluster converge${check.length ? ' --check' : ' no-op'}, 3 hosts`, [
        runbook('runbook', ['play', 'runbooks/converge.yaml', '-i', inv, '-f', '3', '-e', extra, ...check]),
        ansible('ansible', 'perf', 3, ['-i', inv, 'converge.yml', '-e', ansibleExtra, ...check]),
      ], { noop: true });
    }
  } else if (scenario === 'full3') {
    const inv = lab('perf', 3);
    const extra = JSON.stringify({ mirror: [mirrorOf(inv)], java_distribution: 'openjdk', java_package: 'openjdk-17-jre-headless' });
    await pair('install-cluster with smoke test, no-op, 3 hosts', [runbook('runbook', ['play', join(ROOT, 'runbooks/install-cluster.yaml'), '-i', inv, '-f', '3', '-e', extra])]);
  } else if (scenario === 'scale') {
    const largest = Math.max(...SIZES);
    const withAnsible = process.env.BENCH_ANSIBLE_SCALE === '1';
    const full = lab('perfscale', largest, withAnsible);
    run(process.execPath, [CLI, 'play', 'runbooks/config.yaml', '-i', full, '-f', String(largest)]);
    for (const n of SIZES) {
      const inv = n === largest ? full : subsetInventory(full, n);
      const args = ['play', 'runbooks/config.yaml', '-i', inv, '-f', String(n)];
      const commands = [runbook('runbook', args), runbook('runbook, persist', args, { RUNBOOK_CONTROL_PERSIST: '60' })];
      if (withAnsible) commands.push(ansible('ansible', 'perfscale', n, ['-i', inv, 'config.yml']));
      await pair(`no-op converge, ${n} hosts (config, 15 steps)`, commands, { noop: true });
    }
  } else {
    throw new Error(`unknown scenario ${scenario} (${[...ALL, 'sudo3', 'converge', 'full3'].join(', ')})`);
  }
}

const mb = (k: number) => (k / 1024).toFixed(0);
const table = [
  '| scenario | tool | median | min | max | Ansible took | peak RSS (process) | peak RSS (tree) |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const ms = r.samples.map((s) => s.ms);
    const f = (x: number) => (x >= 10000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
    return `| ${r.scenario} | ${r.tool} | ${f(median(ms))} | ${f(Math.min(...ms))} | ${f(Math.max(...ms))} | ${r.ansibleTimes ?? ''} | ${mb(Math.max(...r.samples.map((s) => s.hwmKiB)))} MB | ${mb(Math.max(...r.samples.map((s) => s.treeKiB)))} MB |`;
  }),
].join('\n');

const ansibleVersion = (() => {
  try {
    return run('ansible', ['--version']).split('\n')[0]!;
  } catch {
    return 'not installed';
  }
})();
const marker = `## runbook vs Ansible: ${scenarios.join(' ')}`;
const section = `${marker}

Generated by \`bench/run.ts ${scenarios.join(' ')}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.
Machine: ${cpus().length} cores (\`nproc\` ${run('nproc', []).trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${ansibleVersion}.
Machine speed (medians), before: ${speedBefore}; after: ${calibrate()}.
${RUNS} runs per tool after one warm-up${rows.some((r) => r.tool === 'ansible') ? ', runbook and Ansible alternating' : ''}. Load average (1, 5, 15 min):
${loads.map((l) => `- ${l}`).join('\n')}

${table}

Reproduce: \`npm run build && node --conditions=development --import tsx bench/run.ts ${scenarios.join(' ')}\`
(\`BENCH_RUNS\`, \`BENCH_SIZES\`, \`BENCH_ANSIBLE_SCALE=1\` as described at the top of bench/run.ts).
`;

const resultsPath = join(BENCH, 'RESULTS.md');
const results = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
// The section of exactly these scenarios (a whole heading line: "help" must not replace "help noop3").
const at = results.indexOf(`${marker}\n`);
const next = at < 0 ? -1 : results.indexOf('\n## ', at + marker.length);
const updated = at < 0
  ? `${results.trimEnd()}\n\n${section}`
  : `${results.slice(0, at)}${section}${next < 0 ? '' : `\n${results.slice(next + 1)}`}`;
writeFileSync(resultsPath, updated);
process.stdout.write(`${table}\n`);
