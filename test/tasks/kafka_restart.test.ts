// kafka_restart's check on this machine, against stand-ins for what it reads: systemctl (the unit
// is running) and a Kafka home whose kafka-run-class.sh, given the cluster look's jar, prints what
// the look prints: a captured --describe, the live brokers and the ZooKeeper controller. What it decides (restart, not now and why, the controller last) is the
// gate's first look; the restart itself, with real brokers under load, is test/serial/rolling-restart.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaRestart from '../../tasks/kafka_restart.js';
import { caught } from '../helpers/caught.js';
import { standIn, runningUnits } from '../helpers/stand-ins.js';
import { check, cleanup, tempDir } from '../helpers/task-harness.js';

const root = tempDir('runbook-kafka-restart-');
const home = join(root, 'kafka');
const state = join(root, 'state');

runningUnits(root);
mkdirSync(join(home, 'bin'), { recursive: true });
mkdirSync(join(home, 'config'));
mkdirSync(state);
standIn(join(home, 'bin/kafka-topics.sh'), 'exit 0');
const look = `[ "$1" = RunbookClusterLook ] && [ -s "$CLASSPATH" ] || { echo "Error: not the look: $*"; exit 9; }
cat ${state}/describe; echo 'Alive: 1,2,3'
if [ "$3" = zk ] && [ "$4" = kafka01:2181 ]; then echo "Controller: $(cat ${state}/controller)"; fi`;
standIn(join(home, 'bin/kafka-run-class.sh'), look);
writeFileSync(join(home, 'config/server.properties'), 'broker.id=1\nzookeeper.connect=kafka01:2181\nmin.insync.replicas=2\n');

test.after(cleanup);

const args = { broker_id: 1, bootstrap_server: 'kafka01:9092', kafka_home: home, service: 'rbtest-kafka' };
const partition = (n: number, leader: number, replicas: string, isr: string) => `\tTopic: orders\tPartition: ${n}\tLeader: ${leader}\tReplicas: ${replicas}\tIsr: ${isr}\n`;
const describe = (...partitions: string[]) =>
  writeFileSync(join(state, 'describe'), `Topic: orders\tTopicId: x\tPartitionCount: ${partitions.length}\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n${partitions.join('')}`);

test('every partition in sync: the broker may restart, and --check says the same', async () => {
  describe(partition(0, 1, '1,2,3', '1,2,3'), partition(1, 2, '2,3,1', '2,3,1'));
  for (const checkMode of [false, true]) {
    const c = await check(kafkaRestart, args, { checkMode });
    assert.is(c.inSync, false);
    assert.is(c.summary, 'restart rbtest-kafka (no partition at risk)');
  }
});

test('an under-replicated partition: not now, naming it', async () => {
  describe(partition(0, 1, '1,2,3', '1,2,3'), partition(1, 2, '2,3,1', '2,1'));
  const c = await check(kafkaRestart, args);
  assert.is(c.summary, 'restart rbtest-kafka, but not now: 1 partition(s) under-replicated: orders-1');
});

test('a partition whose ISR would fall under min.insync.replicas with this broker down: not now', async () => {
  describe(partition(0, 1, '1,2', '1,2'), partition(1, 2, '2,3', '2,3'));
  const c = await check(kafkaRestart, args);
  assert.is(c.summary, 'restart rbtest-kafka, but not now: 1 partition(s) would fall under min.insync.replicas with this broker down: orders-0');
});

test('skip_controller: the active controller is left for its own step, the others are not', async () => {
  describe(partition(0, 1, '1,2,3', '1,2,3'));
  writeFileSync(join(state, 'controller'), '1');
  assert.is((await check(kafkaRestart, { ...args, skip_controller: true })).summary, 'the active controller: restarted last, by a step of its own');
  writeFileSync(join(state, 'controller'), '2');
  assert.is((await check(kafkaRestart, { ...args, skip_controller: true })).summary, 'restart rbtest-kafka (no partition at risk)');
});

test('Kafka that does not answer: the check fails saying so; switch_to without kafka_home is refused', async () => {
  writeFileSync(join(state, 'describe'), '');
  standIn(join(home, 'bin/kafka-run-class.sh'), `echo 'Error: TimeoutException: Timed out waiting for a node assignment.'; exit 1`);
  assert.match((await caught(check(kafkaRestart, args))).message, /cannot read the partitions from kafka01:9092: Error: TimeoutException/);
  standIn(join(home, 'bin/kafka-run-class.sh'), look);
  assert.match((await caught(check(kafkaRestart, { ...args, kafka_home: undefined, switch_to: '/opt/kafka_2.13-4.1.1' }))).message, /switch_to needs kafka_home/);
});

test.run();
