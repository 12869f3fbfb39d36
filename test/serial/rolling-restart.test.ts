// The safe rolling restart, proven the way Kafka proves its own upgrades: on a 3-host lab cluster,
// a topic with replication factor 3 and min.insync.replicas=2, Kafka's VerifiableProducer
// (acks=all) and VerifiableConsumer running on a lab host from before the roll until after it.
// Afterwards every acknowledged message was consumed; sampled every second during the roll, no
// partition was ever offline and never more than one broker or ZooKeeper member was down; the
// ZooKeeper leader and the active controller went last. Then a roll killed with -9 half way
// through the brokers, resumed: it finishes without restarting any host twice. And the gate: a
// topic a broker holds alone stops the roll at that broker, naming the partition.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { ROOT, show } from '../helpers/exec.js';
import {
  assertCalm, BOOTSTRAP, brokerHost, CLI, controllerId, HOSTS, kafkaTool, lastRunResults, onHost, runbook, sampler,
  startClients, starts, stopAll, stopClients, useLab, wentLast, zkMode,
} from '../helpers/kafka-lab.js';
import { waitFor } from '../helpers/wait.js';

const NAME = 'roll';
let lab: LabInfo;
const timings: Record<string, number> = {};

/** host → step names it changed, in the order the output printed them. */
function restarts(output: string): string[] {
  return [...output.matchAll(/^changed: \[(kafka0\d)\] (Restart [^:\n]*)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
  useLab(NAME, lab);
  const started = Date.now();
  const install = await runbook('play', 'install-cluster', '-i', lab.inventory);
  timings['install-cluster'] = (Date.now() - started) / 1000;
  assert.is(install.code, 0, show(install));
  await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic roll --partitions 3 --replication-factor 3 --config min.insync.replicas=2`));
});

test.after(async () => {
  stopAll();
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('--check: every host would restart, the gate is clear, nothing is restarted', async () => {
  const before = { zookeeper: await starts('zookeeper'), kafka: await starts('kafka') };
  const check = await runbook('play', 'rolling-restart', '-i', lab.inventory, '--check');
  assert.is(check.code, 0, show(check));
  assert.match(check.stdout, /kafka0\d\] Restart a broker .*\(no partition at risk\)/);
  assert.equal({ zookeeper: await starts('zookeeper'), kafka: await starts('kafka') }, before);
});

test('a roll with a producer and a consumer running: nothing lost, never offline, one down at a time, leader and controller last', async () => {
  const leader = HOSTS[(await Promise.all(lab.hosts.map((h) => zkMode(h.address)))).indexOf('leader')];
  const controller = brokerHost(await controllerId());
  const before = { zookeeper: await starts('zookeeper'), kafka: await starts('kafka') };
  await startClients('one');
  const samples = sampler();
  const started = Date.now();
  const roll = await runbook('play', 'rolling-restart', '-i', lab.inventory);
  timings['rolling-restart'] = (Date.now() - started) / 1000;
  const seen = await samples.stop();
  assert.is(roll.code, 0, show(roll));
  const result = await stopClients('one');

  console.log(`roll: ${result.acked} messages acknowledged and all consumed, longest wait for an acknowledgement ${result.longestGapMs} ms, ${seen.length} samples`);
  assertCalm(result, seen);

  const results = await lastRunResults();
  wentLast(results, 'Restart a ZooKeeper follower and wait until it rejoins the ensemble', 'Restart the ZooKeeper leader last', /^the leader: restarted last/);
  wentLast(results, 'Restart a broker and wait until it is back in every ISR (not the active controller)', 'Restart the active controller last', /^the active controller: restarted last/);
  // Read before the roll, the leader and the controller are those that went last unless they moved meanwhile.
  console.log(`before the roll: ZooKeeper leader ${leader}, controller ${controller}; last: ${results.filter((r) => r.status === 'changed').map((r) => r.host).join(' ')}`);
  const after = { zookeeper: await starts('zookeeper'), kafka: await starts('kafka') };
  for (const unit of ['zookeeper', 'kafka'] as const) {
    for (const host of HOSTS) assert.is(after[unit][host], before[unit][host] + 1, `${unit} on ${host} restarted once`);
  }
});

test('killed with -9 in the middle of the brokers, resumed: the roll finishes and no host restarts twice', async () => {
  const before = await starts('kafka');
  const child = spawn(process.execPath, [CLI, 'play', 'rolling-restart', '-i', lab.inventory, '--tags', 'kafka'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b) => (output += b));
  const exited = new Promise((r) => child.on('exit', r));
  // The first broker is back; kill once the second has been restarted, while runbook waits for it.
  assert.ok(await waitFor(async () => {
    if (restarts(output).length < 1) return false;
    const now = await starts('kafka');
    return HOSTS.filter((h) => now[h] > before[h]).length >= 2;
  }, 600_000, 500), `the second broker was restarted:\n${output}`);
  child.kill('SIGKILL');
  await exited;
  const resumed = await runbook('resume');
  assert.is(resumed.code, 0, show(resumed));
  assert.match(resumed.stdout + resumed.stderr, /restarted in this run|stale lock/);
  const after = await starts('kafka');
  for (const host of HOSTS) assert.is(after[host], before[host] + 1, `kafka on ${host} restarted exactly once (output:\n${output}\n${resumed.stdout})`);
});

test('the gate: a partition only one broker holds stops the roll at that broker, naming it; resume after the fix', async () => {
  await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic lonely --partitions 1 --replication-factor 1`));
  const holder = /Leader: (\d+)/.exec(await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --describe --topic lonely`)))![1];
  const stopped = await runbook('play', 'rolling-restart', '-i', lab.inventory, '--tags', 'kafka');
  assert.is(stopped.code, 2, show(stopped));
  assert.match(stopped.stdout + stopped.stderr, new RegExp(`kafka0${holder}.*not restarting broker ${holder}: 1 partition\\(s\\) would fall under min\\.insync\\.replicas with this broker down: lonely-0`));
  await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --delete --topic lonely`));
  const resumed = await runbook('resume');
  assert.is(resumed.code, 0, show(resumed));
});

test.run();
