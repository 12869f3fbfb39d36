// Jump hosts: a target reached through a bastion sshd with forwardOut, named by the inventory's
// jump_host or by ProxyJump in an ssh config file; the bastion's host key is verified too.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUserError, type UserError } from '../../src/errors.js';
import type { Inventory, InventoryHost } from '../../src/model.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/caught.js';

let bastion: Sshd;
let target: Sshd;
let dir: string;
let knownHosts: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-jump-'));
  // DEBUG1 makes the bastion log each forwarding request, which shows the route taken.
  bastion = await startSshd({ config: ['LogLevel DEBUG1'] });
  target = await startSshd({ authorizedKey: `${bastion.userKey}.pub` });
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`);
});

test.after(async () => {
  await target?.stop();
  await bastion?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function inventory(...hosts: InventoryHost[]): Inventory {
  return { hash: '', hosts: new Map(hosts.map((h) => [h.name, h])), groups: new Map() };
}

const forwardedTo = (port: number) => `target 127.0.0.1 port ${port}`;

async function hostname(pool: ConnectionPool, host: string): Promise<string> {
  const { transport } = await pool.get(host);
  return (await transport.exec('echo "$SSH_CONNECTION"')).stdout.toString().trim();
}

test('inventory jump_host naming another inventory host', async () => {
  const pool = new ConnectionPool(
    inventory(inventoryHost(bastion, 'bastion'), inventoryHost(target, 'app1', { key: bastion.userKey, jumpHost: 'bastion' })),
    { knownHostsFile: knownHosts },
  );
  try {
    const connection = await hostname(pool, 'app1');
    assert.match(connection, ` ${target.port}`, 'the command ran on the target sshd');
    assert.match(bastion.log(), forwardedTo(target.port));
  } finally {
    await pool.closeAll();
  }
});

test('ProxyJump from an ssh config file, with the host given by its alias', async () => {
  const config = join(dir, 'ssh_config');
  writeFileSync(
    config,
    [
      'Host app-alias',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  User ${target.user}`,
      `  IdentityFile ${bastion.userKey}`,
      '  ProxyJump jumpbox',
      'Host jumpbox',
      '  HostName 127.0.0.1',
      `  Port ${bastion.port}`,
      `  IdentityFile ${bastion.userKey}`,
      '',
    ].join('\n'),
  );
  const before = bastion.log().split(forwardedTo(target.port)).length;
  const pool = new ConnectionPool(inventory({ name: 'app2', connection: 'ssh', address: 'app-alias', vars: {} }), {
    knownHostsFile: knownHosts,
    sshConfigFile: config,
  });
  try {
    assert.match(await hostname(pool, 'app2'), ` ${target.port}`);
    assert.is(bastion.log().split(forwardedTo(target.port)).length, before + 1, 'went through the bastion');
  } finally {
    await pool.closeAll();
  }
});

test("the bastion's host key is verified too", async () => {
  const onlyTarget = join(dir, 'only_target');
  writeFileSync(onlyTarget, `${target.knownHostsLine}\n`);
  const pool = new ConnectionPool(
    inventory(inventoryHost(target, 'app3', { key: bastion.userKey, jumpHost: `${bastion.user}@127.0.0.1:${bastion.port}` })),
    { knownHostsFile: onlyTarget },
  );
  const e = await caught(pool.get('app3'));
  assert.ok(isUserError(e));
  assert.is((e as UserError).kind, 'host-key');
  assert.match(e.message, `127.0.0.1:${bastion.port}`);
  assert.match(e.message, 'is not known');
  await pool.closeAll();
});

test.run();
