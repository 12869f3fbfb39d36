// How long `lab up` takes and what a lab host costs in memory.
//
//   node --conditions=development --import tsx bench/lab-up.ts [--cold] [N...]   (default: 3 10 20)
//
// For each N: `lab up --hosts N` (warm: base rootfs and artifacts cached; 3 runs for N=3, median),
// memory per host (PSS of every process in the host's PID namespace, and the drop in the
// machine's MemAvailable divided by N), then `lab down`. --cold first deletes the cached base
// rootfs and the built artifacts (refused while any lab is up: their overlays sit on that base).
// Needs root. Uses a lab named `bench`.

import { readFile, readdir, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { labDown, labUp } from '../src/lab/index.js';
import { listLabs, loadState } from '../src/lab/state.js';
import { ARTIFACTS } from '../src/lab/artifacts.js';
import { ARTIFACTS_DIR, BASE_ROOTFS } from '../src/lab/paths.js';

const NAME = 'bench';
const args = process.argv.slice(2);
const cold = args.includes('--cold');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);

async function memAvailableKiB(): Promise<number> {
  return Number(/MemAvailable:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))![1]);
}

/** Sum of PSS (KiB) of every process in the PID namespace of `initPid`. */
async function pssOfNamespace(initPid: number): Promise<{ pss: number; processes: number }> {
  const ns = await readlink(`/proc/${initPid}/ns/pid`);
  let pss = 0;
  let processes = 0;
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    try {
      if ((await readlink(`/proc/${pid}/ns/pid`)) !== ns) continue;
      pss += Number(/^Pss:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      processes++;
    } catch {
      // exited while we looked
    }
  }
  return { pss, processes };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (s: number) => `${s.toFixed(1)} s`;

await labDown({ name: NAME });
if (cold) {
  const others = (await listLabs()).map((l) => l.name);
  if (others.length) throw new Error(`--cold deletes the base rootfs under running labs: bring down ${others.join(', ')} first`);
  await rm(BASE_ROOTFS, { recursive: true, force: true });
  for (const a of ARTIFACTS) await rm(join(ARTIFACTS_DIR, a.path), { force: true });
  const [, t] = await timed(() => labUp({ hosts: 3, name: NAME, log: (l) => console.error(`  ${l}`) }));
  console.log(`cold lab up --hosts 3 (debootstrap + artifacts from Maven Central; ~/.m2 as it was): ${secs(t)}`);
  await labDown({ name: NAME });
}

console.log('| hosts | lab up (warm) | lab down | PSS per host | MemAvailable drop per host | processes per host |');
console.log('|---|---|---|---|---|---|');
for (const n of sizes.length ? sizes : [3, 10, 20]) {
  const ups: number[] = [];
  const downs: number[] = [];
  let pssPerHost = 0;
  let dropPerHost = 0;
  let procs = 0;
  for (let run = 0; run < (n === 3 ? 3 : 1); run++) {
    const before = await memAvailableKiB();
    const [, up] = await timed(() => labUp({ hosts: n, name: NAME }));
    ups.push(up);
    const state = (await loadState(NAME))!;
    const perHost = await Promise.all(state.hosts.map((h) => pssOfNamespace(h.init!.pid)));
    pssPerHost = perHost.reduce((a, p) => a + p.pss, 0) / n;
    procs = perHost.reduce((a, p) => a + p.processes, 0) / n;
    dropPerHost = (before - (await memAvailableKiB())) / n;
    const [, down] = await timed(() => labDown({ name: NAME }));
    downs.push(down);
  }
  console.log(
    `| ${n} | ${secs(median(ups))}${ups.length > 1 ? ` (min ${secs(Math.min(...ups))}, max ${secs(Math.max(...ups))})` : ''} | ${secs(median(downs))} | ${(pssPerHost / 1024).toFixed(1)} MiB | ${(dropPerHost / 1024).toFixed(1)} MiB | ${procs.toFixed(0)} |`,
  );
}
