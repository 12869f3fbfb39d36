// upgrade-kafka and upgrade-zookeeper, proven like the rolling restart (test/helpers/kafka-lab.ts):
// on a 3-host lab cluster with a replication factor 3, min.insync.replicas=2 topic and Kafka's
// VerifiableProducer and VerifiableConsumer running throughout. Kafka along the lab's path
// 3.5.1 → 3.5.2 → 3.9.2:
//   - a whole upgrade (pin, move broker by broker with the controller last, bump, roll again):
//     nothing lost, never offline, one broker down at a time; a second play changes nothing;
//   - a move without its bump, rolled back: the brokers are on the old release again, the new
//     one is gone, still with nothing lost;
//   - an upgrade killed with -9 in the middle of the move and resumed: each broker moves once and
//     bumps once; rollback then refuses at the bump, the point of no return.
// ZooKeeper 3.7.1 → 3.8.4: followers first, the leader last, one member down at a time; rolled
// back the same way.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { ROOT, show } from '../helpers/exec.js';
import {
  assertCalm, BOOTSTRAP, brokerHost, CLI, controllerId, HOSTS, kafkaTool, lastRunResults, onHost, runbook, sampler,
  startClients, starts, stopAll, stopClients, useLab, wentLast,
} from '../helpers/kafka-lab.js';
import { waitFor } from '../helpers/wait.js';

const NAME = 'upgrades';
let lab: LabInfo;
const timings: Record<string, number> = {};

const MOVE = 'Move a broker to the new release (not the active controller)';
const MOVE_LAST = 'Move the active controller to the new release last';
const BUMP = 'Restart Kafka and wait until the broker is back in every ISR (the controller last)';
const BUMP_LAST = 'Restart Kafka and wait until the broker is back in every ISR, the active controller';
const LEFT_FOR_LAST = /^the active controller: restarted last/;

/**
 * The release each broker runs and the protocol it speaks, from its own log (the newest start).
 * The lab's log4j rolls server.log every hour (server.log.YYYY-MM-DD-HH): a start just before the
 * hour is in the rolled file, so the files are read oldest first, the current one last.
 */
async function brokers(): Promise<string[]> {
  return Promise.all(
    HOSTS.map(async (h) => {
      const log = await onHost(h, `cd /home/kafka/kafka/logs && cat $(ls server.log.* 2>/dev/null | sort) server.log | grep -h 'Kafka version: \\|inter.broker.protocol.version = ' | tail -n 2`);
      const version = /Kafka version: (\S+)/.exec(log)?.[1];
      const protocol = /inter\.broker\.protocol\.version = (\S+)/.exec(log)?.[1];
      const active = await onHost(h, 'systemctl is-active kafka || true');
      return `${h} ${active} ${version} ${protocol}`;
    }),
  );
}

const all = (state: string) => HOSTS.map((h) => `${h} active ${state}`);

async function upgrade(tag: string, args: string[]): Promise<void> {
  const started = Date.now();
  const r = await runbook('play', 'upgrade-kafka', '-i', lab.inventory, ...args);
  timings[tag] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
}

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
  useLab(NAME, lab);
  const install = await runbook('play', 'install-cluster', '-i', lab.inventory, '--skip-tags', 'smoke');
  assert.is(install.code, 0, show(install));
  await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic roll --partitions 3 --replication-factor 3 --config min.insync.replicas=2`));
});

test.after(async () => {
  stopAll();
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('3.5.1 → 3.5.2 with traffic: moved broker by broker, the controller last, then bumped; nothing lost; a second play changes nothing', async () => {
  assert.equal(await brokers(), all('3.5.1 3.5-IV2'));
  const before = await starts('kafka');
  const controller = brokerHost(await controllerId());
  await startClients('one');
  const samples = sampler();
  await upgrade('upgrade 3.5.1 → 3.5.2', ['-e', 'kafka_version=3.5.2', '-e', 'kafka_upgrade_from=3.5.1']);
  const seen = await samples.stop();
  const result = await stopClients('one');
  console.log(`3.5.2: ${result.acked} messages acknowledged and all consumed, longest wait ${result.longestGapMs} ms, ${seen.length} samples, controller before: ${controller}`);
  assertCalm(result, seen);

  assert.equal(await brokers(), all('3.5.2 3.5-IV2'));
  const results = await lastRunResults();
  wentLast(results, MOVE, MOVE_LAST, LEFT_FOR_LAST);
  wentLast(results, BUMP, BUMP_LAST, LEFT_FOR_LAST);
  const after = await starts('kafka');
  for (const h of HOSTS) assert.is(after[h], before[h] + 2, `${h}: started once on the new release, once for the bump`);

  const again = await runbook('play', 'upgrade-kafka', '-i', lab.inventory, '-e', 'kafka_version=3.5.2', '-e', 'kafka_upgrade_from=3.5.1');
  assert.is(again.code, 0, show(again));
  assert.is((again.stdout.match(/ changed=0 /g) ?? []).length, 3, show(again));
});

test('3.5.2 → 3.9.2 moved but not bumped, then rolled back with traffic: back on 3.5.2, the new release gone', async () => {
  await startClients('two');
  const samples = sampler();
  await upgrade('move 3.5.2 → 3.9.2', ['-e', 'kafka_version=3.9.2', '-e', 'kafka_upgrade_from=3.5.2', '--skip-tags', 'bump']);
  // The pinned value, as the broker prints its config.
  assert.equal(await brokers(), all('3.9.2 3.5.2'));
  const started = Date.now();
  const back = await runbook('rollback');
  timings['rollback of the move'] = (Date.now() - started) / 1000;
  assert.is(back.code, 0, show(back));
  const seen = await samples.stop();
  const result = await stopClients('two');
  assertCalm(result, seen);

  // Moved back before the pin was taken out of the file: they run with it, which is 3.5 either way.
  assert.equal(await brokers(), all('3.5.2 3.5.2'));
  for (const h of HOSTS) {
    assert.is(await onHost(h, 'readlink /home/kafka/kafka'), '/home/kafka/kafka_2.13-3.5.2');
    assert.is(await onHost(h, 'ls /home/kafka | grep -c 3.9.2 || true'), '0', `${h}: the new release is gone`);
    assert.is(await onHost(h, 'grep -c inter.broker.protocol /home/kafka/kafka/config/server.properties || true'), '0', `${h}: the pin is gone`);
  }
});

test('3.5.2 → 3.9.2 killed with -9 in the middle of the move, resumed: each broker moves and bumps once; rollback refuses at the bump', async () => {
  const before = await starts('kafka');
  await startClients('three');
  const samples = sampler();
  const args = ['play', 'upgrade-kafka', '-i', lab.inventory, '-e', 'kafka_version=3.9.2', '-e', 'kafka_upgrade_from=3.5.2'];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b) => (output += b));
  let done = false;
  const exited = new Promise((r) => child.on('exit', r)).then(() => (done = true));
  // The first broker is on the new release; kill once the second has been stopped or started.
  const reached = await waitFor(async () => {
    if (done) return true;
    if (!/changed: \[kafka0\d\] Move/.test(output)) return false;
    const now = await starts('kafka');
    return HOSTS.filter((h) => now[h] > before[h]).length >= 2;
  }, 600_000, 500);
  assert.ok(reached && !done, `killed while moving the brokers, not after:\n${output}`);
  child.kill('SIGKILL');
  await exited;
  const resumed = await runbook('resume');
  assert.is(resumed.code, 0, show(resumed));
  const seen = await samples.stop();
  const result = await stopClients('three');
  assertCalm(result, seen);

  assert.equal(await brokers(), all('3.9.2 3.9-IV0'));
  const after = await starts('kafka');
  for (const h of HOSTS) assert.is(after[h], before[h] + 2, `${h} started twice, once per roll (output:\n${output}\n${resumed.stdout})`);

  const refused = await runbook('rollback');
  assert.is(refused.code, 2, show(refused));
  assert.match(refused.stdout, /stopped before "Restart Kafka[^"]*" \(kafka_restart\): it is a point of no return: the brokers speak the new inter\.broker\.protocol\.version/);
  assert.equal(await brokers(), all('3.9.2 3.9-IV0'));
});

/** The ZooKeeper release each member runs: the jar its process holds open. */
async function members(): Promise<string[]> {
  return Promise.all(
    HOSTS.map(async (h) => `${h} ${await onHost(h, `ls -l /proc/$(systemctl show -p MainPID --value zookeeper)/fd | grep -o 'lib/zookeeper-[0-9][^/]*[.]jar' | head -n 1`)}`),
  );
}

test('ZooKeeper 3.7.1 → 3.8.4 with traffic: followers first, the leader last, one member down at a time; rolled back the same way', async () => {
  assert.equal(await members(), HOSTS.map((h) => `${h} lib/zookeeper-3.7.1.jar`));
  const before = await starts('zookeeper');
  await startClients('zk');
  const samples = sampler();
  let started = Date.now();
  const up = await runbook('play', 'upgrade-zookeeper', '-i', lab.inventory, '-e', 'zookeeper_version=3.8.4', '-e', 'zookeeper_upgrade_from=3.7.1');
  timings['upgrade ZooKeeper 3.7.1 → 3.8.4'] = (Date.now() - started) / 1000;
  assert.is(up.code, 0, show(up));
  assert.equal(await members(), HOSTS.map((h) => `${h} lib/zookeeper-3.8.4.jar`));
  wentLast(await lastRunResults(), 'Move a follower to the new release and wait until it rejoins the ensemble', 'Move the leader to the new release last', /^the leader: restarted last/);
  started = Date.now();
  const back = await runbook('rollback');
  timings['rollback of the ZooKeeper upgrade'] = (Date.now() - started) / 1000;
  assert.is(back.code, 0, show(back));
  const seen = await samples.stop();
  const result = await stopClients('zk');
  assertCalm(result, seen);
  assert.equal(await members(), HOSTS.map((h) => `${h} lib/zookeeper-3.7.1.jar`));
  const after = await starts('zookeeper');
  for (const h of HOSTS) assert.is(after[h], before[h] + 2, `${h}: started once on 3.8.4, once back on 3.7.1`);
});

test.run();
