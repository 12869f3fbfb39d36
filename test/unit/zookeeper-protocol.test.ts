// Reading a znode with ZooKeeper's protocol: the request bytes as ZooKeeper's jute lays them out,
// and a session against a stand-in (test/helpers/fake-broker.ts) that answers, has no such node,
// or never answers. Against a real ZooKeeper: test/serial/systasks-kafka-loopback.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer, type AddressInfo } from 'node:net';
import { connectRequest, getDataRequest, readZNode } from '../../src/sdk/zookeeper-protocol.js';
import { fakeZooKeeper } from '../helpers/fake-broker.js';

const socketTo = async (port: number) => {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  return socket;
};

test('ConnectRequest and GetData: size, then the fields in order', () => {
  const c = connectRequest(10_000);
  assert.equal([c.readInt32BE(0), c.length], [45, 49]);
  assert.equal([c.readInt32BE(4), Number(c.readBigInt64BE(8)), c.readInt32BE(16), Number(c.readBigInt64BE(20)), c.readInt32BE(28), c.at(-1)], [0, 0, 10_000, 0, 16, 0]);
  const g = getDataRequest(1, '/kafka/controller');
  assert.ok(g.equals(Buffer.from([0, 0, 0, 30, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 17, ...Buffer.from('/kafka/controller'), 0])), g.toString('hex'));
});

test("a znode's data; no such node: undefined; each session closed", async () => {
  const zk = await fakeZooKeeper({ '/controller': '{"brokerid":2}' });
  try {
    assert.is((await readZNode(await socketTo(zk.port), '/controller', 10_000))?.toString(), '{"brokerid":2}');
    assert.is(await readZNode(await socketTo(zk.port), '/kafka/controller', 10_000), undefined);
    await waitForCloses(zk.asked, 2);
  } finally {
    await zk.close();
  }
});

async function waitForCloses(asked: number[], n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (asked.filter((op) => op === -11).length < n) {
    if (Date.now() > deadline) assert.unreachable(`closeSession ${n} times: ${asked.join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a server that never answers: an error after the limit, the socket destroyed', async () => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = await socketTo((server.address() as AddressInfo).port);
  try {
    await readZNode(socket, '/controller', 200).then(
      () => assert.unreachable('answered'),
      (e: Error) => assert.is(e.message, 'no answer from ZooKeeper in 0.2 s'),
    );
    assert.ok(socket.destroyed);
  } finally {
    server.close();
  }
});

test.run();
