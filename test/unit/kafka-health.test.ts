import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isrProblems, notCaughtUp, notInIsr, parseDescribe, partitionStates, restartRefusal, restartRisks } from '../../src/sdk/kafka-health.js';
import kafkaTopic from '../../tasks/kafka_topic.js';
import { countArrived, pickConsumer } from '../../tasks/kafka_smoke.js';
import zookeeperStatus from '../../tasks/zookeeper_status.js';
import { parseSrvr } from '../../src/sdk/zookeeper-srvr.js';
import { hostileValues } from '../helpers/task-harness.js';

// Captured from ZooKeeper 3.7.1 (`srvr`) and Kafka 3.5.1 (`kafka-topics.sh --describe`).
const srvrStandalone = `Zookeeper version: 3.7.1-a2fb57c55f8e59cdd76c34b357ad5181df1258d5, built on 2022-05-07 06:45 UTC
Latency min/avg/max: 0/0.0/0
Received: 1
Sent: 0
Connections: 1
Outstanding: 0
Zxid: 0x0
Mode: standalone
Node count: 5
`;
const describe = `WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.
Topic: t.1\tTopicId: y95jgqt7QmmZtmiY1B7wBw\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: 
\tTopic: t.1\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1
\tTopic: t.1\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1
\tTopic: t.1\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1
`;

test('srvr: mode and stats; a server without quorum is not_serving', () => {
  assert.equal(parseSrvr(srvrStandalone), { mode: 'standalone', version: '3.7.1', zxid: '0x0', node_count: 5, connections: 1, outstanding: 0, latency: '0/0.0/0' });
  assert.equal(parseSrvr('This ZooKeeper instance is not currently serving requests\n'), { mode: 'not_serving' });
  const status = 'ZooKeeper JMX enabled by default\nUsing config: /opt/zookeeper/bin/../conf/zoo.cfg\nClient port found: 2181. Client address: localhost. Client SSL: false.\nMode: follower\n';
  assert.is(parseSrvr(status).mode, 'follower', 'zkServer.sh status output too');
  assert.equal(parseSrvr('bash: connect: Connection refused\n'), {});
});

test('describe: topic header and partitions, exact name only (--topic is a regex)', () => {
  const info = parseDescribe(describe).get('t.1')!;
  assert.is(info.partitionCount, 3);
  assert.is(info.replicationFactor, 1);
  assert.equal(info.partitions[2], { partition: 2, leader: 1, replicas: [1], isr: [1] });
  assert.is(parseDescribe(describe).get('tx1') ?? null, null);
  assert.is(parseDescribe("Error while executing topic command : Topic 'nosuch' does not exist as expected\n").get('nosuch') ?? null, null);
});

test('full ISR: a partition without leader or with a lagging replica is named', () => {
  const degraded = parseDescribe(
    'Topic: test\tTopicId: x\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: \n\tTopic: test\tPartition: 0\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\n\tTopic: test\tPartition: 1\tLeader: 3\tReplicas: 3,1\tIsr: 3\n\tTopic: test\tPartition: 2\tLeader: none\tReplicas: 1,2\tIsr: \n',
  ).get('test')!;
  assert.equal(isrProblems(degraded), ['partition 1: replicas 1 not in sync (isr 3)', 'partition 2 has no leader']);
});

// Captured from Kafka 3.5.1 (the lab's): a replicated topic with its own min.insync.replicas, an
// RF 1 topic on broker 3, and one __consumer_offsets partition (the real one has 50).
const cluster = [
  'Topic: orders\tTopicId: 8NwQ\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2,segment.bytes=1073741824',
  '\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3',
  '\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1',
  'Topic: scratch\tTopicId: q1x\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: ',
  '\tTopic: scratch\tPartition: 0\tLeader: 3\tReplicas: 3\tIsr: 3',
  'Topic: __consumer_offsets\tTopicId: z9\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: compression.type=producer,cleanup.policy=compact',
  '\tTopic: __consumer_offsets\tPartition: 0\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2',
].join('\n');

test('restart gate: healthy brokers pass; a broker holding the only replica of a partition is refused, naming it', () => {
  const parts = partitionStates(parseDescribe(cluster), 1);
  assert.equal(parts.map((p) => [`${p.topic}-${p.partition}`, p.minIsr]), [['orders-0', 2], ['orders-1', 2], ['scratch-0', 1], ['__consumer_offsets-0', 1]]);
  assert.is(restartRefusal(restartRisks(parts, 1)), undefined);
  assert.is(restartRefusal(restartRisks(parts, 2)), undefined);
  assert.is(restartRefusal(restartRisks(parts, 3)), '1 partition(s) would fall under min.insync.replicas with this broker down: scratch-0');
});

test('restart gate: under-replicated and offline partitions refuse any restart; min ISR counts what is in sync now', () => {
  const lagging = partitionStates(parseDescribe(cluster.replace('Replicas: 1,2,3\tIsr: 1,2,3', 'Replicas: 1,2,3\tIsr: 1,2')), 1);
  assert.is(restartRefusal(restartRisks(lagging, 1)), '1 partition(s) under-replicated: orders-0');
  const risks = restartRisks(lagging, 2);
  assert.equal(risks.belowMinIsr.map((p) => p.partition), [0], 'with 3 out of the ISR, taking 2 down leaves 1 < 2');
  const offline = partitionStates(parseDescribe(cluster.replace('Leader: 3\tReplicas: 3\tIsr: 3', 'Leader: none\tReplicas: 3\tIsr: ')), 1);
  assert.is(restartRefusal(restartRisks(offline, 1)), '1 partition(s) offline: scratch-0');
});

test('after a restart: the broker is caught up once it is back in the ISR of every partition it replicates', () => {
  const away = partitionStates(parseDescribe(cluster.replaceAll('Isr: 1,2,3', 'Isr: 2,3').replace('Isr: 2,3,1', 'Isr: 2,3').replace('Isr: 3,1,2', 'Isr: 3,2')), 1);
  assert.equal(notCaughtUp(away, 1).map((p) => `${p.topic}-${p.partition}`), ['orders-0', 'orders-1', '__consumer_offsets-0']);
  assert.equal(notCaughtUp(partitionStates(parseDescribe(cluster), 1), 1), []);
});

test('not back yet: the partitions waiting for the broker, by the leader that has to take it back', () => {
  const away = partitionStates(parseDescribe(cluster.replaceAll('Isr: 1,2,3', 'Isr: 2,3').replace('Isr: 2,3,1', 'Isr: 2,3').replace('Isr: 3,1,2', 'Isr: 3,2')), 1);
  // Broker 1 restarted: its leaderships moved to 2 and 3, which have not taken it back yet.
  const moved = away.map((p) => ({ ...p, leader: p.topic === 'orders' ? 2 : 3 }));
  assert.is(notInIsr(moved, 1), 'broker 1 is not yet in the ISR of 3 partition(s); led by 2: 2 (orders-0, orders-1); led by 3: 1 (__consumer_offsets-0)');
  const many = Array.from({ length: 7 }, (_, i) => ({ ...moved[0]!, partition: i }));
  assert.is(notInIsr(many, 1), 'broker 1 is not yet in the ISR of 7 partition(s); led by 2: 7 (orders-0, orders-1, orders-2, orders-3, orders-4, …)');
  assert.is(notInIsr([{ ...many[0]!, leader: null }], 1), 'broker 1 is not yet in the ISR of 1 partition(s); no leader: 1 (orders-0)');
  assert.is(notInIsr(partitionStates(parseDescribe(cluster), 1), 1), undefined);
});

test('smoke: counts distinct token lines; the consumer defaults to a peer sharing a group', () => {
  assert.is(countArrived('tok-1\ntok-2\ntok-2\nother-1\ntok-3', 'tok'), 3);
  const peer = (host: string, groups: string[]) => ({ host, vars: { group_names: groups }, shell: null as never });
  const peers = [peer('zk01', ['zookeeper']), peer('kafka02', ['kafka'])];
  assert.is(pickConsumer(peers, undefined, ['kafka'])!.host, 'kafka02');
  assert.is(pickConsumer(peers, 'zk01', ['kafka'])!.host, 'zk01');
  assert.is(pickConsumer(peers, 'nope', ['kafka']), undefined);
});

test('hostile values are refused by the Kafka and ZooKeeper task schemas', () => {
  for (const v of hostileValues('/tmp/pwned')) {
    assert.not.ok(kafkaTopic.args.safeParse({ name: v }).success);
    assert.not.ok(kafkaTopic.args.safeParse({ name: 't', bootstrap_server: v }).success);
    assert.not.ok(zookeeperStatus.args.safeParse({ host: v }).success);
  }
});

test.run();
