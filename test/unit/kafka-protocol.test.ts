// The looks' Kafka protocol client on answers captured from a real Kafka 3.5.1 lab cluster
// (test/fixtures/status: Metadata v5 and DescribeConfigs v1 bodies, healthy and with brokers 1
// and 3 stopped), the request bytes as the protocol spec lays them out, a truncated body, and the
// connection's framing against a broker stand-in that answers in pieces.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { CONFIG_SOURCE, decodeConfigs, decodeDescribeQuorum, decodeMetadata, decodeReassignments, describeConfigsRequest, describeQuorumRequest, listReassignmentsRequest, metadataRequest } from '../../src/sdk/kafka-protocol.js';
import { KafkaConnection } from '../../src/sdk/kafka-connection.js';
import { quorumOfWire } from '../../src/sdk/kafka-quorum.js';
import { bootstrapPairs, hostPort, parseBrokerConfig } from '../../src/sdk/kafka-cluster.js';
import { quorumBody, reassignmentsBody } from '../helpers/fake-broker.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/status/${name}.bin`, import.meta.url));

test('Metadata v5 of a healthy cluster: three brokers, the controller, every partition', () => {
  const md = decodeMetadata(fixture('healthy-metadata'));
  assert.equal(md.brokers.map((b) => [b.id, b.host, b.port]).sort(), [[1, '10.213.1.11', 9092], [2, '10.213.1.12', 9092], [3, '10.213.1.13', 9092]]);
  assert.is(md.controller, 1);
  assert.is(md.clusterId, 'bVzK_dMWQDi-ATmB10f50w');
  assert.equal(md.topics.map((t) => [t.name, t.partitions.length, t.internal]).sort(), [['__consumer_offsets', 50, true], ['test', 3, false]]);
  for (const p of md.topics.flatMap((t) => t.partitions)) {
    assert.ok(p.leader > 0 && p.isr.length === p.replicas.length && p.offline.length === 0, JSON.stringify(p));
  }
});

test('brokers 1 and 3 stopped: the partition both held is offline (error 5, leader -1) and still listed with the others', () => {
  const md = decodeMetadata(fixture('two-down-metadata'));
  assert.equal(md.brokers.map((b) => b.id), [2]);
  assert.is(md.controller, 2);
  const test0 = md.topics.find((t) => t.name === 'test')!.partitions.find((p) => p.partition === 0)!;
  assert.equal(test0, { error: 5, partition: 0, leader: -1, replicas: [1, 3], isr: [3], offline: [1, 3] });
  const offsets = md.topics.find((t) => t.name === '__consumer_offsets')!;
  assert.is(offsets.partitions.length, 50);
  assert.ok(offsets.partitions.every((p) => p.leader === 2 && p.isr.length === 1));
});

test("DescribeConfigs v1: each topic's effective min.insync.replicas, and where it comes from", () => {
  const configs = decodeConfigs(fixture('healthy-configs'));
  assert.equal([...configs.keys()].sort(), ['__consumer_offsets', 'test']);
  assert.equal(configs.get('test')?.get('min.insync.replicas'), { value: '1', source: CONFIG_SOURCE.default });
});

test('requests: size, api key and version, correlation id, client id, then the body', () => {
  const md = metadataRequest(7);
  assert.is(md.readInt32BE(0), md.length - 4);
  assert.equal([md.readInt16BE(4), md.readInt16BE(6), md.readInt32BE(8)], [3, 5, 7]);
  assert.is(md.toString('utf8', 14, 14 + md.readInt16BE(12)), 'runbook');
  assert.equal([...md.subarray(-5)], [0xff, 0xff, 0xff, 0xff, 0], 'all topics (null array), no auto-creation');
  const dc = describeConfigsRequest(8, 'topic', ['t'], ['min.insync.replicas']);
  assert.equal([dc.readInt16BE(4), dc.readInt16BE(6), dc.readInt32BE(8)], [32, 1, 8]);
  assert.ok(dc.subarray(14 + dc.readInt16BE(12)).equals(Buffer.from([0, 0, 0, 1, 2, 0, 1, 0x74, 0, 0, 0, 1, 0, 19, ...Buffer.from('min.insync.replicas'), 0])));
  // A broker's own configs: resource type 4, named by its id.
  const bc = describeConfigsRequest(10, 'broker', ['3'], ['leader.replication.throttled.rate']);
  assert.ok(bc.subarray(14 + bc.readInt16BE(12)).equals(Buffer.from([0, 0, 0, 1, 4, 0, 1, 0x33, 0, 0, 0, 1, 0, 33, ...Buffer.from('leader.replication.throttled.rate'), 0])));
});

test('ListPartitionReassignments v0: header v2, a time limit and a null topic array (every reassignment); the answer per partition', () => {
  const q = listReassignmentsRequest(11, 30_000);
  assert.equal([q.readInt16BE(4), q.readInt16BE(6), q.readInt32BE(8)], [46, 0, 11]);
  // tags 0; timeout_ms 30000; topics null (0); tags 0.
  assert.ok(q.subarray(14 + q.readInt16BE(12)).equals(Buffer.from([0, 0, 0, 0x75, 0x30, 0, 0])));
  const moving = [
    { topic: 't1', partition: 0, replicas: [1, 2, 3, 4], adding: [1, 2], removing: [3, 4] },
    { topic: 't1', partition: 1, replicas: [3, 4, 2, 1], adding: [3, 2], removing: [1] },
    { topic: 'roll', partition: 0, replicas: [1, 2, 3, 4], adding: [4], removing: [] },
  ];
  assert.equal(decodeReassignments(reassignmentsBody(moving)), { error: 0, reassignments: moving });
  assert.equal(decodeReassignments(reassignmentsBody([], 41)), { error: 41, reassignments: [] });
  const body = reassignmentsBody(moving);
  assert.throws(() => decodeReassignments(body.subarray(0, body.length - 8)), RangeError);
});

test('DescribeQuorum v0: header v2 (client id, then no tagged fields), the metadata partition in compact arrays', () => {
  const q = describeQuorumRequest(9);
  assert.is(q.readInt32BE(0), q.length - 4);
  assert.equal([q.readInt16BE(4), q.readInt16BE(6), q.readInt32BE(8)], [55, 0, 9]);
  const body = q.subarray(14 + q.readInt16BE(12));
  // tags 0; topics: 1 (+1); name: 18 bytes (+1); partitions: 1 (+1); index 0; tags 0; tags 0; tags 0.
  assert.ok(body.equals(Buffer.from([0, 2, 19, ...Buffer.from('__cluster_metadata'), 2, 0, 0, 0, 0, 0, 0, 0])), body.toString('hex'));
});

test("DescribeQuorum: the leader's voters, each voter's lag behind the leader's log end; a follower's refusal is no leader", () => {
  const w = decodeDescribeQuorum(quorumBody({ leader: 3001, voters: [{ id: 3000, logEnd: 1190 }, { id: 3001, logEnd: 1200 }, { id: 3002, logEnd: 2 ** 40 }], observers: [{ id: 1, logEnd: 1200 }] }));
  assert.equal(w, { error: 0, leader: 3001, voters: [{ id: 3000, logEndOffset: 1190 }, { id: 3001, logEndOffset: 1200 }, { id: 3002, logEndOffset: 2 ** 40 }] });
  assert.equal(quorumOfWire(w), { leader: 3001, voters: [{ id: 3000, lag: 10, status: 'Follower' }, { id: 3001, lag: 0, status: 'Leader' }, { id: 3002, lag: 0, status: 'Follower' }] });
  const refused = decodeDescribeQuorum(quorumBody('not leader'));
  assert.is(refused.error, 6);
  assert.equal(quorumOfWire(refused), { voters: [] });
  const body = quorumBody({ leader: 1, voters: [{ id: 1, logEnd: 5 }] });
  assert.throws(() => decodeDescribeQuorum(body.subarray(0, body.length - 6)), RangeError);
});

test("the broker's config: the last line of each key wins; process.roles says how the controller is found", () => {
  assert.equal(parseBrokerConfig('minisr=1\nminisr=2\nzk=a:2181,b:2181/kafka\n'), { defaultMinIsr: 2, mode: 'zk', zookeeperConnect: 'a:2181,b:2181/kafka' });
  assert.equal(parseBrokerConfig('roles=broker,controller\n'), { defaultMinIsr: 1, mode: 'quorum' });
  assert.equal(parseBrokerConfig('roles=broker\n'), { defaultMinIsr: 1, mode: 'apart' });
});

test('bootstrap lists: host:port, [v6]:port, a bare host only where a port is implied', () => {
  assert.equal(bootstrapPairs('kafka01:9092, [fd00::1]:9093,'), [{ host: 'kafka01', port: 9092 }, { host: 'fd00::1', port: 9093 }]);
  assert.equal(hostPort('zk1', 2181), { host: 'zk1', port: 2181 });
  for (const bad of ['kafka01', 'kafka01:0', 'a:b:9092', 'kafka01:99999']) assert.throws(() => hostPort(bad), /is no host:port/, bad);
});

test('a truncated answer is an error, not a partial cluster', () => {
  const body = fixture('healthy-metadata');
  assert.throws(() => decodeMetadata(body.subarray(0, body.length - 10)), RangeError);
});

/** A response as a broker sends it: size, correlation id, body. */
function frameOf(correlationId: number, body: Buffer): Buffer {
  const f = Buffer.alloc(8 + body.length);
  f.writeInt32BE(4 + body.length, 0);
  f.writeInt32BE(correlationId, 4);
  body.copy(f, 8);
  return f;
}

test('the connection: answers split across reads and one unasked frame are matched by correlation id', async () => {
  const server = createServer((socket) => {
    let seen = 0;
    socket.on('data', (request) => {
      const id = request.readInt32BE(8);
      const body = seen++ === 0 ? fixture('healthy-metadata') : fixture('healthy-configs');
      const stray = frameOf(999, body);
      const answer = frameOf(id, body);
      // A stray frame first, then the answer in three writes.
      socket.write(stray);
      socket.write(answer.subarray(0, 3));
      setImmediate(() => (socket.write(answer.subarray(3, 100)), setImmediate(() => socket.write(answer.subarray(100)))));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const kafka = new KafkaConnection(socket, 10_000);
  try {
    const md = await kafka.metadata();
    assert.is(md.controller, 1);
    const configs = await kafka.topicConfigs(['test', '__consumer_offsets'], ['min.insync.replicas']);
    assert.is(configs.get('__consumer_offsets')?.get('min.insync.replicas'), '1');
  } finally {
    kafka.close();
    server.close();
  }
});

test("a request's own time limit: Metadata answered, DescribeConfigs not (a broker without ZooKeeper)", async () => {
  const server = createServer((socket) => {
    let seen = 0;
    socket.on('data', (request) => {
      if (seen++ === 0) socket.write(frameOf(request.readInt32BE(8), fixture('healthy-metadata')));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const kafka = new KafkaConnection(socket, 60_000);
  try {
    assert.is((await kafka.metadata()).brokers.length, 3);
    await kafka.topicConfigs(['test'], ['min.insync.replicas'], 200).then(
      () => assert.unreachable('answered'),
      (e: Error) => assert.is(e.message, 'no answer from the broker in 0.2 s'),
    );
  } finally {
    kafka.close();
    server.close();
  }
});

test('a broker that closes the connection fails the request at once', async () => {
  const server = createServer((socket) => socket.on('data', () => socket.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const kafka = new KafkaConnection(socket, 60_000);
  try {
    await kafka.metadata().then(
      () => assert.unreachable('answered'),
      (e: Error) => assert.match(e.message, /closed the connection/),
    );
  } finally {
    server.close();
  }
});

test.run();
