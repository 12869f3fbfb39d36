#!/usr/bin/env node
// Runs every uvu suite (test/**/*.test.ts) in its own Node process, so a suite that starts
// servers or lab hosts cannot leak state into another, and prints the closing line CI reads:
// `N passed, N failed, N skipped`.
//
//   node test/run.mjs                 all suites
//   node test/run.mjs ssh journal     only suites whose path contains one of the words
//   TEST_JOBS=1 node test/run.mjs     one suite at a time (default: 2, this machine's cores)
//   TEST_SERIAL_JOBS=2 ...            two lab suites at a time (default: 1)
//   TEST_EXTENDED=1 ...               also the lab suites left out by default (EXTENDED below)

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const jobs = Number(process.env.TEST_JOBS ?? 2);
const serialJobs = Number(process.env.TEST_SERIAL_JOBS ?? 1);
// A lab suite took up to 24 min on a slow day here.
const suiteTimeoutMs = Number(process.env.TEST_SUITE_TIMEOUT_MS ?? 45 * 60_000);

function findSuites(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findSuites(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

// Suites under test/serial/ (lab and end-to-end: each boots its own lab, on a subnet of its own,
// and keeps a Kafka cluster busy; no other suite makes a lab) run after the others, one at a time
// by default: on two cores they are CPU-bound (the lab's brokers, controllers and test clients are
// JVMs), and two at once took more than twice as long each. With TEST_SERIAL_JOBS above 1 (a bigger machine) the
// longest go first, so the lanes finish together; the rest follow by name.
const LONGEST_FIRST = ['upgrades', 'migrate-kraft', 'scale', 'rolling-restart', 'install-cluster', 'one-vm', 'kraft'];
const weight = (p) => {
  const i = LONGEST_FIRST.findIndex((name) => p === `test/serial/${name}.test.ts`);
  return i < 0 ? LONGEST_FIRST.length : i;
};
// Left out of a run with no words unless TEST_EXTENDED=1: on this two-core machine every suite
// together took over the 90 minutes CI allows. These two repeat paths the others walk in the
// other mode (add and remove a broker: on ZooKeeper here, on KRaft in kraft; a KRaft cluster:
// made from scratch in kraft, migrated to in migrate-kraft). Named words run them too.
const EXTENDED = ['test/serial/kraft.test.ts', 'test/serial/scale.test.ts'];
const extended = process.env.TEST_EXTENDED === '1';
const found = findSuites(join(root, 'test'))
  .map((p) => relative(root, p))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();
const all = found.filter((p) => filters.length > 0 || extended || !EXTENDED.includes(p));
const leftOut = found.filter((p) => !all.includes(p));
const parallel = all.filter((p) => !p.startsWith('test/serial/'));
const serial = all.filter((p) => p.startsWith('test/serial/')).sort((a, b) => weight(a) - weight(b));

function runSuite(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', file, '--no-color'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    const labsBefore = labs();
    let killed = false;
    const timer = setTimeout(() => {
      output += `\n!! suite timed out after ${suiteTimeoutMs / 1000}s; killed\n`;
      killed = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, suiteTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      // A killed suite never ran its teardown: its labs would keep their Kafka clusters busy
      // under every suite after it.
      if (killed && serial.includes(file)) for (const name of labs().filter((n) => !labsBefore.includes(n))) output += labDown(name);
      const num = (label) => Number(output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
      let result;
      if (Number.isNaN(total)) result = { passed: 0, failed: 1, skipped: 0 }; // crashed before uvu reported
      else result = { passed, skipped, failed: Math.max(total - passed - skipped, code === 0 ? 0 : 1) };
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`\n== ${file} (${secs}s, exit ${code})\n${output.trimEnd()}\n`);
      resolve(result);
    });
  });
}

/** The labs up on this machine (src/lab/paths.ts: STATE_ROOT). */
function labs() {
  try {
    return readdirSync('/var/lib/runbook-lab');
  } catch {
    return [];
  }
}

function labDown(name) {
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/cli/main.ts', 'lab', 'down', '--name', name], { cwd: root, encoding: 'utf8' });
  return `!! lab ${name} left by the killed suite: brought down (exit ${r.status})\n`;
}

async function runAll(files, width) {
  const results = [];
  const queue = [...files];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      while (queue.length) results.push(await runSuite(queue.shift()));
    }),
  );
  return results;
}

// The lab lane runs after the others. Beside them (tried once) migrate-kraft's rollback saw
// partitions offline for a moment under the load, never seen in the runs before; apart until
// that is understood.
const results = [...(await runAll(parallel, jobs)), ...(await runAll(serial, serialJobs))];
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const failed = sum('failed');
console.log(`\n${all.length} suites${leftOut.length ? `; not run (TEST_EXTENDED=1 runs them): ${leftOut.join(', ')}` : ''}`);
console.log(`${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped`);
process.exit(failed === 0 && all.length > 0 ? 0 : 1);
