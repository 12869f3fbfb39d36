import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Inventory, InventoryHost } from '../../src/model.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { caught } from '../helpers/caught.js';

function localInventory(...names: string[]): Inventory {
  const hosts = new Map<string, InventoryHost>(
    names.map((name) => [name, { name, connection: 'local', address: name, vars: {} }]),
  );
  return { hash: '', hosts, groups: new Map() };
}

test('concurrent get() calls for one host share one transport', async () => {
  const pool = new ConnectionPool(localInventory('a', 'b'), {});
  const [a1, a2, b] = await Promise.all([pool.get('a'), pool.get('a'), pool.get('b')]);
  assert.is(a1, a2);
  assert.is.not(a1.transport, b.transport);
  assert.is(a1.transport.host, 'a');
  assert.is((await pool.get('a')).transport, a1.transport);
  const r = await a1.transport.exec('echo hi');
  assert.is(r.stdout.toString(), 'hi\n');
  await pool.closeAll();
  assert.is.not((await pool.get('a')).transport, a1.transport, 'after closeAll a host is opened anew');
  await pool.closeAll();
});

test('an unknown host is a bug, and is not cached', async () => {
  const pool = new ConnectionPool(localInventory('a'), {});
  assert.match((await caught(pool.get('nope'))).message, 'no host "nope"');
  assert.match((await caught(pool.get('nope'))).message, 'no host "nope"');
});

test.run();
