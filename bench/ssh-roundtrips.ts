// SSH transport round trips: 1,000 small execs over ONE connection to a local sshd, one after
// another and 8 at a time, plus the controller's RSS.
//
//   node --conditions=development --import tsx bench/ssh-roundtrips.ts
//
// Needs root and openssh-server. Logs in as a system user `runbook-bench` with /bin/sh as its
// shell (created if missing): root's ~/.bashrc on a developer machine (pyenv, cargo...) is sourced
// by bash for every SSH command and would be measured instead of the transport. Lab hosts log in
// with Debian's stock shell setup.

import { execFileSync } from 'node:child_process';
import { openTransport } from '../src/transport/connect.js';
import { inventoryHost, startSshd } from '../test/helpers/sshd.js';

const ROUND_TRIPS = 1000;
const USER = 'runbook-bench';

function ensureUser(): void {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/tmp', '--shell', '/bin/sh', USER]);
  }
  // `*`: no password, but not locked (sshd without PAM refuses locked accounts even for keys).
  execFileSync('usermod', ['--password', '*', USER]);
}

const ms = (ns: bigint) => Number(ns) / 1e6;
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

ensureUser();
const sshd = await startSshd();
try {
  const { transport } = await openTransport(inventoryHost(sshd, 'bench', { user: USER }), { knownHostsFile: sshd.knownHosts });
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
