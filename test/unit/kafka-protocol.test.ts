// status's Kafka protocol client on answers captured from a real Kafka 3.5.1 lab cluster
// (test/fixtures/status: Metadata v5 and DescribeConfigs v1 bodies, healthy and with brokers 1
// and 3 stopped), the request bytes as the protocol spec lays them out, a truncated body, and the
// connection's framing against a broker stand-in that answers in pieces.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { decodeMetadata, decodeTopicConfigs, describeTopicConfigsRequest, KafkaConnection, metadataRequest } from '../../src/status/kafka-protocol.js';

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

test("DescribeConfigs v1: each topic's effective min.insync.replicas", () => {
  const configs = decodeTopicConfigs(fixture('healthy-configs'));
  assert.equal([...configs.keys()].sort(), ['__consumer_offsets', 'test']);
  assert.is(configs.get('test')?.get('min.insync.replicas'), '1');
});

test('requests: size, api key and version, correlation id, client id, then the body', () => {
  const md = metadataRequest(7);
  assert.is(md.readInt32BE(0), md.length - 4);
  assert.equal([md.readInt16BE(4), md.readInt16BE(6), md.readInt32BE(8)], [3, 5, 7]);
  assert.is(md.toString('utf8', 14, 14 + md.readInt16BE(12)), 'runbook-status');
  assert.equal([...md.subarray(-5)], [0xff, 0xff, 0xff, 0xff, 0], 'all topics (null array), no auto-creation');
  const dc = describeTopicConfigsRequest(8, ['t'], ['min.insync.replicas']);
  assert.equal([dc.readInt16BE(4), dc.readInt16BE(6), dc.readInt32BE(8)], [32, 1, 8]);
  assert.ok(dc.subarray(28).equals(Buffer.from([0, 0, 0, 1, 2, 0, 1, 0x74, 0, 0, 0, 1, 0, 19, ...Buffer.from('min.insync.replicas'), 0])));
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
