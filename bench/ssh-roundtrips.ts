// SSH transport round trips: 1,000 small execs over ONE connection to a local sshd, one after
// another and 8 at a time, plus the controller's RSS.
//
//   node --conditions=development --import tsx bench/ssh-roundtrips.ts
//
// Needs root and openssh-server; logs in as `runbook-bench` (bench/ssh-user.ts says why).

import { openTransport } from '../src/transport/connect.js';
import { inventoryHost, startSshd } from '../test/helpers/sshd.js';
import { BENCH_USER, ensureBenchUser } from './ssh-user.js';

const ROUND_TRIPS = 1000;

const ms = (ns: bigint) => Number(ns) / 1e6;
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

ensureBenchUser();
const sshd = await startSshd();
try {
  const { transport } = await openTransport(inventoryHost(sshd, 'bench', { user: BENCH_USER }), { knownHostsFile: sshd.knownHosts });
  let t = process.hrtime.bigint();
  await transport.connect();
  const connectMs = ms(process.hrtime.bigint() - t);

  for (let i = 0; i < 20; i++) await transport.exec('true'); // warm-up

  t = process.hrtime.bigint();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const r = await transport.exec('echo ok');
    if (r.code !== 0) throw new Error(`exec failed: ${r.stderr}`);
  }
  const sequentialMs = ms(process.hrtime.bigint() - t);

  t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next++ < ROUND_TRIPS) await transport.exec('echo ok');
    }),
  );
  const parallelMs = ms(process.hrtime.bigint() - t);
  await transport.close();
  clearInterval(sampler);

  const connections = sshd.connections();
  console.log(`connect (TCP + handshake + auth): ${connectMs.toFixed(1)} ms`);
  console.log(`${ROUND_TRIPS} sequential execs: ${sequentialMs.toFixed(0)} ms, ${(sequentialMs / ROUND_TRIPS).toFixed(2)} ms per round trip`);
  console.log(`${ROUND_TRIPS} execs, 8 channels at once: ${parallelMs.toFixed(0)} ms, ${(parallelMs / ROUND_TRIPS).toFixed(2)} ms per exec`);
  console.log(`TCP connections accepted by sshd: ${connections}`);
  console.log(`controller peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
} catch (e) {
  console.error(sshd.log().split('\n').filter((l) => !/Connection from|Accepted|Postponed|Starting session|Server listening/.test(l)).slice(-30).join('\n'));
  throw e;
} finally {
  clearInterval(sampler);
  await sshd.stop();
}
