// zookeeper_restart's check on this machine: a stand-in systemctl (the unit is running) and three
// members that answer `srvr` on loopback ports as ZooKeeper does (one that does not answer at
// all). What it decides (restart, not now and why, the leader last) is the gate's first look; the
// restarts themselves, of a real ensemble under load, are test/serial/rolling-restart.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import zookeeperRestart from '../../tasks/zookeeper_restart.js';
import { runningUnits } from '../helpers/stand-ins.js';
import { check, cleanup, tempDir } from '../helpers/task-harness.js';

const root = tempDir('runbook-zookeeper-restart-');
runningUnits(root);

/** A member answering srvr with `mode` (as ZooKeeper 3.8 does), or closing at once when it is not serving. */
const modes = new Map<string, string>();
const servers: Server[] = [];
const members: string[] = [];

test.before(async () => {
  for (let i = 0; i < 3; i++) {
    const server = createServer((socket) => {
      socket.once('data', () => {
        const mode = modes.get(member);
        if (mode === undefined) return socket.destroy();
        socket.end(mode === 'not_serving' ? 'This ZooKeeper instance is not currently serving requests\n' : `Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC\nZxid: 0x100000002\nMode: ${mode}\nNode count: 5\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const member = `127.0.0.1:${(server.address() as { port: number }).port}`;
    servers.push(server);
    members.push(member);
  }
});

test.after(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  cleanup();
});

const args = () => ({ members, self: members[0], service: 'rbtest-zookeeper' });
const serve = (...m: Array<string | undefined>) => m.forEach((mode, i) => (mode === undefined ? modes.delete(members[i]) : modes.set(members[i], mode)));

test('the others serving: the member may restart, and --check says the same', async () => {
  serve('follower', 'leader', 'follower');
  for (const checkMode of [false, true]) {
    const c = await check(zookeeperRestart, args(), { checkMode });
    assert.is(c.inSync, false);
    assert.is(c.summary, `restart rbtest-zookeeper (${members[0]} follower, ${members[1]} leader, ${members[2]} follower)`);
  }
});

test('another member not serving, or not answering: not now, naming it', async () => {
  serve('follower', 'leader', 'not_serving');
  assert.is((await check(zookeeperRestart, args())).summary, `restart rbtest-zookeeper, but not now: other members are not serving: ${members[2]} not_serving`);
  serve('follower', undefined, 'leader');
  assert.is((await check(zookeeperRestart, args())).summary, `restart rbtest-zookeeper, but not now: other members are not serving: ${members[1]} no answer`);
});

test('skip_leader leaves the leader to its own step; the leader step under --check leaves the followers', async () => {
  serve('leader', 'follower', 'follower');
  assert.is((await check(zookeeperRestart, { ...args(), skip_leader: true })).summary, 'the leader: restarted last, by a step of its own');
  serve('follower', 'leader', 'follower');
  assert.is((await check(zookeeperRestart, { ...args(), leader_step: true }, { checkMode: true })).summary, 'a follower: restarted by the step before');
});

test.run();
