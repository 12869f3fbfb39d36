// kafka_restart's check on this machine, against stand-ins for what it reads: systemctl (the unit
// is running), a broker on loopback answering Metadata and DescribeConfigs, and a ZooKeeper
// holding /controller (test/helpers/fake-broker.ts); where the host's sshd forwards nothing, a
// Kafka home whose kafka-run-class.sh, given the cluster look's jar, prints what the look prints.
// What it decides (restart, not now and why, the controller last) is the gate's first look; the
// restart itself, with real brokers under load, is test/serial/rolling-restart.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaRestart from '../../tasks/kafka_restart.js';
import { caught } from '../helpers/caught.js';
import { configsBody, fakeBroker, fakeZooKeeper, metadataBody, shellWithoutForwarding, type PartitionSpec } from '../helpers/fake-broker.js';
import { standIn, runningUnits } from '../helpers/stand-ins.js';
import { check, cleanup, tempDir } from '../helpers/task-harness.js';

const root = tempDir('runbook-kafka-restart-');
const home = join(root, 'kafka');

runningUnits(root);
mkdirSync(join(home, 'bin'), { recursive: true });
mkdirSync(join(home, 'config'));
standIn(join(home, 'bin/kafka-topics.sh'), 'exit 0');

let partitions: PartitionSpec[] = [];
let controller = '{"version":1,"brokerid":1,"timestamp":"1764479952000"}';
const broker = await fakeBroker({ metadata: () => metadataBody([1, 2, 3], 1, partitions), describeConfigs: configsBody({ orders: 2 }) });
const zookeeper = await fakeZooKeeper({ get '/kafka/controller'() {
  return controller;
} });
writeFileSync(join(home, 'config/server.properties'), `broker.id=1\nzookeeper.connect=127.0.0.1:${zookeeper.port}/kafka\n`);

test.after(async () => {
  await broker.close();
  await zookeeper.close();
  cleanup();
});

const args = { broker_id: 1, bootstrap_server: `127.0.0.1:1,127.0.0.1:${broker.port}`, kafka_home: home, service: 'rbtest-kafka' };
const p = (partition: number, leader: number, replicas: number[], isr: number[]): PartitionSpec => ({ topic: 'orders', partition, leader, replicas, isr });

test('every partition in sync: the broker may restart, and --check says the same (asked of the broker that answers)', async () => {
  partitions = [p(0, 1, [1, 2, 3], [1, 2, 3]), p(1, 2, [2, 3, 1], [2, 3, 1])];
  for (const checkMode of [false, true]) {
    const c = await check(kafkaRestart, args, { checkMode });
    assert.is(c.inSync, false);
    assert.is(c.summary, 'restart rbtest-kafka (no partition at risk)');
  }
});

test('an under-replicated partition: not now, naming it', async () => {
  partitions = [p(0, 1, [1, 2, 3], [1, 2, 3]), p(1, 2, [2, 3, 1], [2, 1])];
  assert.is((await check(kafkaRestart, args)).summary, 'restart rbtest-kafka, but not now: 1 partition(s) under-replicated: orders-1');
});

test("a partition whose ISR would fall under the topic's min.insync.replicas with this broker down: not now", async () => {
  partitions = [p(0, 1, [1, 2], [1, 2]), p(1, 2, [2, 3], [2, 3])];
  assert.is((await check(kafkaRestart, args)).summary, 'restart rbtest-kafka, but not now: 1 partition(s) would fall under min.insync.replicas with this broker down: orders-0');
});

test("skip_controller: the active controller (ZooKeeper's /controller, under the chroot) is left for its own step, the others are not", async () => {
  partitions = [p(0, 1, [1, 2, 3], [1, 2, 3])];
  controller = '{"version":1,"brokerid":1,"timestamp":"1764479952000"}';
  assert.is((await check(kafkaRestart, { ...args, skip_controller: true })).summary, 'the active controller: restarted last, by a step of its own');
  controller = '{"version":2,"brokerid":2,"timestamp":"1764479952000","kraftControllerEpoch":-1}';
  assert.is((await check(kafkaRestart, { ...args, skip_controller: true })).summary, 'restart rbtest-kafka (no partition at risk)');
});

test('no broker answers: the check fails naming each; switch_to without kafka_home is refused', async () => {
  const mute = await fakeBroker({});
  try {
    const e = await caught(check(kafkaRestart, { ...args, bootstrap_server: `127.0.0.1:1,127.0.0.1:${mute.port}` }));
    assert.match(e.message, new RegExp(`^cannot read the partitions from 127\\.0\\.0\\.1:1,127\\.0\\.0\\.1:${mute.port}: no broker answers \\(127\\.0\\.0\\.1:1: .*ECONNREFUSED.*; 127\\.0\\.0\\.1:${mute.port}: the broker closed the connection\\)$`));
  } finally {
    await mute.close();
  }
  assert.match((await caught(check(kafkaRestart, { ...args, kafka_home: undefined, switch_to: '/opt/kafka_2.13-4.1.1' }))).message, /switch_to needs kafka_home/);
});


test("where the host's sshd forwards nothing, the look runs in one JVM with the host's Kafka libs", async () => {
  const shell = shellWithoutForwarding();
  const describe = 'Topic: orders\tTopicId: x\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n';
  standIn(
    join(home, 'bin/kafka-run-class.sh'),
    `[ "$1" = RunbookClusterLook ] && [ -s "$CLASSPATH" ] || { echo "Error: not the look: $*"; exit 9; }
printf '%s' '${describe}'; echo 'Alive: 1,2,3'
if [ "$3" = zk ] && [ "$4" = 127.0.0.1:${zookeeper.port}/kafka ]; then echo 'Controller: 2'; fi`,
  );
  assert.is((await check(kafkaRestart, args, { shell })).summary, 'restart rbtest-kafka, but not now: 1 partition(s) would fall under min.insync.replicas with this broker down: orders-0');
  standIn(join(home, 'bin/kafka-run-class.sh'), `echo 'Error: TimeoutException: Timed out waiting for a node assignment.'; exit 1`);
  assert.match((await caught(check(kafkaRestart, args, { shell }))).message, /cannot read the partitions from .*: Error: TimeoutException/);
});

test.run();
