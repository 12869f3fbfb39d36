// zookeeper_status on this machine, against a stand-in ZooKeeper: a TCP server on loopback that
// answers `srvr` as ZooKeeper 3.8 does (or as a member without a quorum does). Real ensembles
// answer it in the lab suites (install-cluster, rolling-restart, upgrades).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo, type Server } from 'node:net';
import zookeeperStatus from '../../tasks/zookeeper_status.js';
import type { TaskError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { check } from '../helpers/task-harness.js';

const LEADER = `Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC
Latency min/avg/max: 0/0.5/3
Received: 42
Sent: 41
Connections: 2
Outstanding: 0
Zxid: 0x300000012
Mode: leader
Node count: 37
Proposal sizes last/min/max: 48/48/312
`;
const NO_QUORUM = 'This ZooKeeper instance is not currently serving requests\n';

const servers: Server[] = [];
test.after(() => servers.forEach((s) => s.close()));

/** A loopback port answering `srvr` with `answer` (and anything else with nothing), as ZooKeeper does. */
async function zookeeper(answer: string): Promise<number> {
  const server = createServer((socket) => {
    socket.once('data', (command) => socket.end(command.toString() === 'srvr' ? answer : ''));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the mode and the numbers srvr gives, as registered data; never a change', async () => {
  const port = await zookeeper(LEADER);
  const r = await check(zookeeperStatus, { port });
  assert.is(r.inSync, true);
  assert.is(r.summary, 'mode: leader');
  assert.equal(r.data, { mode: 'leader', version: '3.8.4', zxid: '0x300000012', node_count: 37, connections: 2, outstanding: 0, latency: '0/0.5/3' });
});

test('expect_mode: one of the modes given passes; another fails, naming both', async () => {
  const port = await zookeeper(LEADER);
  assert.is((await check(zookeeperStatus, { port, expect_mode: ['leader', 'follower'] })).inSync, true);
  const e = await caught(check(zookeeperStatus, { port, expect_mode: 'follower' }));
  assert.is(e.message, `ZooKeeper at 127.0.0.1:${port} is leader, expected follower`);
});

test('a member without a quorum is not_serving (what retries wait out in an election)', async () => {
  const port = await zookeeper(NO_QUORUM);
  assert.is((await check(zookeeperStatus, { port })).summary, 'mode: not_serving');
  const e = await caught(check(zookeeperStatus, { port, expect_mode: ['leader', 'follower'] }));
  assert.match(e.message, /is not_serving, expected leader or follower$/);
});

test('nothing listening: an error saying so, with what to look at', async () => {
  const port = await closedPort();
  const e = await caught(check(zookeeperStatus, { port }));
  assert.match(e.message, new RegExp(`^ZooKeeper at 127\\.0\\.0\\.1:${port} did not answer srvr: .*(refused|exit)`));
  assert.match(String((e as TaskError).hint), /systemctl status zookeeper/);
});

test('a hostile host is refused by its schema before any shell sees it', () => {
  assert.not.ok(zookeeperStatus.args.safeParse({ host: '127.0.0.1; touch /tmp/pwned' }).success);
  assert.not.ok(zookeeperStatus.args.safeParse({ host: '$(id)' }).success);
});

test.run();
