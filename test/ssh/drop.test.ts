// A host that dies mid-step: every exec on the lost connection fails at once with
// UnreachableError (never hangs), and the next connect opens a new connection.

import { waitFor } from '../helpers/wait.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUnreachable } from '../../src/errors.js';
import type { Inventory } from '../../src/model.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/caught.js';

let sshd: Sshd;

test.before(async () => {
  sshd = await startSshd();
});

test.after(async () => {
  await sshd?.stop();
});

/** Fails the test instead of hanging the suite if `promise` never settles. */
function guard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung`)), 30_000);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

test('killing sshd mid-step fails running and queued execs as unreachable; connect() recovers', async () => {
  const inventory: Inventory = { hash: '', hosts: new Map([['db1', inventoryHost(sshd, 'db1')]]), groups: new Map() };
  const pool = new ConnectionPool(inventory, { knownHostsFile: sshd.knownHosts, maxSessions: 2 });
  try {
    const { transport } = await pool.get('db1');
    // Two running (the cap) and one queued behind them.
    const sessions = () => sshd.log().split('Starting session: command').length - 1;
    const started = sessions();
    const running = [1, 2, 3].map(() => caught(transport.exec('sleep 60')));
    assert.ok(await waitFor(() => sessions() - started === 2), 'the sessions never started');
    await sshd.kill();
    const errors = await guard(Promise.all(running), 'the execs');
    for (const e of errors) {
      assert.ok(isUnreachable(e), String(e));
      assert.match(e.message, `the connection to db1 (127.0.0.1:${sshd.port}) was lost`);
    }
    const later = await caught(transport.exec('true'));
    assert.ok(isUnreachable(later), 'a lost connection stays lost until connect()');

    await sshd.restart();
    const before = sshd.connections();
    const again = await pool.get('db1');
    assert.is(again.transport, transport, 'the pool keeps the transport and reconnects it');
    assert.is((await again.transport.exec('echo back')).stdout.toString(), 'back\n');
    assert.is(sshd.connections() - before, 1);
  } finally {
    await pool.closeAll();
  }
});

test.run();
