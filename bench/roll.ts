// `play rolling-restart` with two builds, alternating, on one 3-host lab: how long a whole roll
// takes (3 ZooKeeper members, 3 brokers, each gated and waited for) and how much CPU the machine
// spends on it (the lab's hosts share its cores, so the brokers' restarts and every look at the
// cluster count). Nothing else should run meanwhile.
//
//   node --conditions=development --import tsx bench/roll.ts ROUNDS DIST_A [DIST_B]
//
// DIST_*: a build's dist directory (e.g. /tmp/old/dist from `git worktree add /tmp/old <commit>`
// and `npm run build` there, and dist). Brings up the lab `rollbench` (left up: `lab down --name
// rollbench`), plays install-cluster on it once, creates the topic `roll` (3 partitions,
// replication factor 3, min.insync.replicas=2), then plays rolling-restart ROUNDS times with each
// build in turn. Prints wall time and machine CPU (/proc/stat) per play, then the medians.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSshArgs, labUp } from '../src/lab/index.js';

const NAME = 'rollbench';
const [rounds, ...dists] = process.argv.slice(2);
if (!Number.isInteger(Number(rounds)) || Number(rounds) < 1 || dists.length === 0) {
  console.error('usage: bench/roll.ts ROUNDS DIST_A [DIST_B]');
  process.exit(2);
}

/** Seconds of CPU the whole machine has spent (user, nice, system, irq, softirq). */
function machineCpu(): number {
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq) / 100;
}

const { inventory } = await labUp({ name: NAME, hosts: 3 });
// Run from outside any checkout: in one, its tasks/ would be a project's, clashing with the other build's.
const run = (dist: string, ...args: string[]) => execFileSync(process.execPath, [join(dist, 'cli/main.js'), ...args], { cwd: tmpdir(), stdio: ['ignore', 'ignore', 'inherit'] });

run(dists.at(-1)!, 'play', 'install-cluster', '-i', inventory);
const kafka = '. /etc/profile.d/java.sh; /home/kafka/kafka/bin/kafka-topics.sh --bootstrap-server kafka01:9092,kafka02:9092,kafka03:9092';
execFileSync('ssh', await labSshArgs('kafka01', [`${kafka} --create --if-not-exists --topic roll --partitions 3 --replication-factor 3 --config min.insync.replicas=2`], NAME), { stdio: 'ignore' });

const results = dists.map((): { wall: number; cpu: number }[] => []);
for (let round = 0; round < Number(rounds); round++) {
  dists.forEach((dist, i) => {
    const [start, cpu] = [performance.now(), machineCpu()];
    run(dist, 'play', 'rolling-restart', '-i', inventory);
    const r = { wall: (performance.now() - start) / 1000, cpu: machineCpu() - cpu };
    results[i].push(r);
    console.log(`${dist}: ${r.wall.toFixed(1)} s, ${r.cpu.toFixed(1)} CPU-s`);
  });
}
const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
dists.forEach((dist, i) => console.log(`${dist}: median ${median(results[i].map((r) => r.wall)).toFixed(1)} s, ${median(results[i].map((r) => r.cpu)).toFixed(1)} CPU-s over ${results[i].length} rolls`));
