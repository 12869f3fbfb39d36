import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isrProblems, parseDescribe } from '../../tasks/kafka_topic.js';
import kafkaTopic from '../../tasks/kafka_topic.js';
import { countArrived, pickConsumer } from '../../tasks/kafka_smoke.js';
import zookeeperStatus, { parseSrvr } from '../../tasks/zookeeper_status.js';
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
  const info = parseDescribe(describe, 't.1')!;
  assert.is(info.partitionCount, 3);
  assert.is(info.replicationFactor, 1);
  assert.equal(info.partitions[2], { partition: 2, leader: 1, replicas: [1], isr: [1] });
  assert.is(parseDescribe(describe, 'tx1'), null);
  assert.is(parseDescribe("Error while executing topic command : Topic 'nosuch' does not exist as expected\n", 'nosuch'), null);
});

test('full ISR: a partition without leader or with a lagging replica is named', () => {
  const degraded = parseDescribe(
    'Topic: test\tTopicId: x\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: \n\tTopic: test\tPartition: 0\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\n\tTopic: test\tPartition: 1\tLeader: 3\tReplicas: 3,1\tIsr: 3\n\tTopic: test\tPartition: 2\tLeader: none\tReplicas: 1,2\tIsr: \n',
    'test',
  )!;
  assert.equal(isrProblems(degraded), ['partition 1: replicas 1 not in sync (isr 3)', 'partition 2 has no leader']);
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
