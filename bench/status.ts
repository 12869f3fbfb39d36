// How long `runbook status` takes on a running cluster, as an operator runs it (the built CLI, a
// new process each time: start-up, SSH handshakes, the probes, Kafka's protocol through SSH).
//
//   npm run build
//   node --conditions=development --import tsx bench/status.ts <inventory> [runs]   (default 10)
//
// The inventory is a lab's with install-cluster played on it (runbook lab up --hosts 3 --name
// dbg; runbook play install-cluster -i /var/lib/runbook-lab/dbg/inventory.yaml). One warm-up run,
// then `runs` runs: median, min, max wall time, and the exit codes seen. Results: bench/RESULTS.md
// "runbook status".

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [inventory, runsArg] = process.argv.slice(2);
if (!inventory) throw new Error('usage: bench/status.ts <inventory> [runs]');
const runs = Number(runsArg ?? 10);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function once(): Promise<{ ms: number; code: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, 'status', '-i', inventory], (error) =>
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code: error ? Number(error.code) : 0 }),
    ),
  );
}

await once();
const times: number[] = [];
const codes = new Set<number>();
for (let i = 0; i < runs; i++) {
  const r = await once();
  times.push(r.ms);
  codes.add(r.code);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`runbook status, ${runs} runs: median ${median.toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms; exit codes ${[...codes].join(', ')}`);
