// reachable on this machine, over loopback: a port something listens on and one nothing listens
// on are both reachable; what the other answers (timeout, no route, unknown name) mean is read
// from the messages bash prints, tested as data. Blocked pairs in a real cluster are the lab's
// (test/serial/systasks-lab.test.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import reachable, { classify } from '../../tasks/reachable.js';
import { check, hostileValues } from '../helpers/task-harness.js';

let server: Server;
let open = 0;
let closed = 0;

test.before(async () => {
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open = (server.address() as { port: number }).port;
  // A port that was just free: nothing listens on it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closed = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a listening port and a refused one are both reachable; nothing changes', async () => {
  const r = await check(reachable, { hosts: '127.0.0.1', ports: `${open},${closed}` });
  assert.ok(r.inSync);
  assert.is(r.summary, '2 reachable (1 listening, 1 not yet)');
});

test('what bash says, read: refused is reachable, a timeout or no route is not', () => {
  assert.is(classify(0, ''), 'open');
  assert.is(classify(1, 'reach: connect: Connection refused'), 'refused');
  assert.is(classify(124, ''), 'timeout');
  assert.is(classify(1, 'reach: connect: No route to host'), 'unreachable');
  assert.is(classify(1, 'reach: connect: Network is unreachable'), 'unreachable');
  assert.is(classify(1, 'reach: kafka09: Name or service not known'), 'unresolved');
});

test('hosts and ports as lists or comma-joined; hostile hosts and bad ports are refused', () => {
  const ok = reachable.args.parse({ hosts: 'a, b', ports: [2181, '2888'] });
  assert.equal([ok.hosts, ok.ports], [['a', 'b'], [2181, 2888]]);
  assert.is(reachable.args.safeParse({ hosts: 'a', ports: 70000 }).success, false);
  for (const v of hostileValues('/tmp/pwned')) assert.is(reachable.args.safeParse({ hosts: [v], ports: [1] }).success, false, v);
});

test.run();
