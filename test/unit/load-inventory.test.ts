import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadInventory, proxyJump } from '../../src/load/inventory.js';
import { inventoryVars } from '../../src/load/inventory-query.js';
import { matchHosts } from '../../src/load/patterns.js';
import { parseExtraVars } from '../../src/load/extra-vars.js';
import { expandHostRange } from '../../src/load/inventory-ini.js';
import type { UserError } from '../../src/errors.js';

const dir = resolve('test/fixtures/load/inventory');

test('INI inventory: groups, ranges, children, [g:vars], [g:children], all:vars', async () => {
  const inv = await loadInventory(join(dir, 'hosts.ini'));
  assert.equal([...inv.hosts.keys()], ['bastion', 'zk1', 'zk2', 'zk3', 'kafka01', 'kafka02', 'kafka03']);
  assert.equal(inv.groups.get('all')!.hosts, [...inv.hosts.keys()]);
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['bastion']);
  assert.equal(inv.groups.get('zookeeper')!.hosts, ['zk1', 'zk2', 'zk3']);
  assert.equal(inv.groups.get('cluster')!.children, ['zookeeper', 'brokers']);
  assert.equal(inv.groups.get('brokers')!.vars, { level: 'brokers', kafka_version: '3.10' });
  assert.equal(inv.groups.get('cluster')!.vars, { heap: '1g', level: 'cluster' });
  const k2 = inv.hosts.get('kafka02')!;
  assert.is(k2.address, '10.0.0.12');
  assert.is(k2.port, 2222);
  assert.is(k2.user, 'deploy');
  assert.is(k2.connection, 'ssh');
  assert.is(k2.key, join(homedir(), '.ssh/id_lab'));
  assert.equal(k2.vars, { ansible_host: '10.0.0.12', broker_id: 2, myid: 2, ansible_port: 2222, ansible_connection: 'ssh' });
  assert.equal(k2.pos, { file: join(dir, 'hosts.ini'), line: 9, col: 1 });
  assert.is(inv.hosts.get('kafka03')!.become, true);
  assert.is(inv.hosts.get('bastion')!.user, 'admin');
  assert.is(inv.hosts.get('zk2')!.address, 'zk2');
  assert.is(inv.hosts.get('zk2')!.vars.role, 'zk');
  assert.is(inv.knownHostsFile, join(dir, 'known_hosts'));
  assert.is(inv.hash, createHash('sha256').update(readFileSync(join(dir, 'hosts.ini'))).digest('hex'));
});

test('YAML inventory: nested groups, host vars merged across groups, connection from ansible_* vars', async () => {
  const inv = await loadInventory(join(dir, 'hosts.yaml'));
  assert.equal([...inv.hosts.keys()], ['local1', 'kafka01', 'kafka02']);
  assert.equal(inv.groups.get('all')!.children, ['zookeeper', 'kafka']);
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['local1']);
  assert.is(inv.hosts.get('local1')!.connection, 'local');
  const k2 = inv.hosts.get('kafka02')!;
  assert.equal(k2.vars, {
    myid: 2,
    ansible_host: '10.0.0.12',
    broker_id: 2,
    ansible_port: 2200,
    ansible_user: 'ops',
    ansible_ssh_private_key_file: 'keys/id_ed25519',
    ansible_ssh_common_args: '-o ProxyJump=bastion',
    ansible_become: true,
    ansible_become_user: 'kafka',
  });
  assert.equal(
    { address: k2.address, port: k2.port, user: k2.user, key: k2.key, jumpHost: k2.jumpHost, become: k2.become, becomeUser: k2.becomeUser },
    { address: '10.0.0.12', port: 2200, user: 'ops', key: join(dir, 'keys/id_ed25519'), jumpHost: 'bastion', become: true, becomeUser: 'kafka' },
  );
  assert.is(inv.hosts.get('kafka01')!.user, 'deploy');
  assert.is(inv.knownHostsFile, undefined);
});

test('plain vars named port, user, address, key, password, connection, become are never connection settings; legacy ansible_ssh_* are', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-inv-'));
  try {
    const ini = join(tmp, 'hosts.ini');
    await writeFile(ini, '[app]\nweb1 ansible_ssh_host=10.0.0.5 ansible_ssh_port=2222 ansible_ssh_user=ops\nweb2\n\n[app:vars]\nport=8080\nuser=app\naddress=0.0.0.0\nkey=/etc/app.key\npassword=hunter2\nconnection=keep-alive\nbecome=sometimes\n');
    const inv = await loadInventory(ini);
    const web1 = inv.hosts.get('web1')!;
    assert.equal([web1.address, web1.port, web1.user], ['10.0.0.5', 2222, 'ops']);
    const web2 = inv.hosts.get('web2')!;
    assert.equal(
      { connection: web2.connection, address: web2.address, port: web2.port, user: web2.user, key: web2.key, password: web2.password, become: web2.become },
      { connection: 'ssh', address: 'web2', port: undefined, user: undefined, key: undefined, password: undefined, become: undefined },
    );
    assert.is(inventoryVars(inv, 'web2').port, 8080, 'still the app\'s var');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('a jump host from ansible_ssh_common_args / ansible_ssh_extra_args: ProxyJump or -J, the last wins', () => {
  assert.is(proxyJump('-o ProxyJump=bastion'), 'bastion');
  assert.is(proxyJump('-o StrictHostKeyChecking=no -o ProxyJump=ops@jump:2200'), 'ops@jump:2200');
  assert.is(proxyJump('-oProxyJump=a', '-J b'), 'b');
  assert.is(proxyJump("-o 'ProxyJump=q'"), 'q');
  assert.is(proxyJump('-Jjump1,jump2'), 'jump1,jump2');
  assert.is(proxyJump('-o ProxyJump=none'), undefined);
  assert.is(proxyJump('-o ServerAliveInterval=30', undefined), undefined);
});

test('YAML inventory: a group written once and aliased (&anchor, *alias) is read as written out; a group holding itself is refused', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-inv-'));
  try {
    const shared = '  hosts: { a: &h { ansible_host: 10.0.0.1 }, b: *h }\n  children:\n    kafka: &nodes { hosts: { a: {}, b: {} } }\n    controller: *nodes\n';
    await writeFile(join(tmp, 'inv.yaml'), `all:\n${shared}`);
    const inv = await loadInventory(join(tmp, 'inv.yaml'));
    assert.equal(inv.groups.get('controller')!.hosts, ['a', 'b']);
    assert.equal(inv.groups.get('kafka')!.hosts, ['a', 'b']);
    assert.is(inv.hosts.get('b')!.address, '10.0.0.1');
    await writeFile(join(tmp, 'loop.yaml'), 'all: &top\n  children:\n    inner: *top\n');
    const e = await loadInventory(join(tmp, 'loop.yaml')).catch((x: UserError) => x);
    assert.match(String((e as UserError).message), /group "inner" contains itself \(through an alias\)/);
    assert.equal((e as UserError).pos, { file: join(tmp, 'loop.yaml'), line: 3, col: 12 });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('implicit inventory: localhost over the local connection', async () => {
  const inv = await loadInventory(undefined);
  assert.equal([...inv.hosts.keys()], ['localhost']);
  assert.is(inv.hosts.get('localhost')!.connection, 'local');
  assert.equal(inv.groups.get('all')!.hosts, ['localhost']);
});

test('a bad connection value is located at the host', async () => {
  try {
    await loadInventory(join(dir, 'bad-port.yaml'));
    assert.unreachable('no error');
  } catch (e) {
    const err = e as UserError;
    assert.is(err.kind, 'inventory');
    assert.match(err.message, /port must be a number/);
    assert.equal(err.pos, { file: join(dir, 'bad-port.yaml'), line: 3, col: 5 });
  }
});

test('INI errors are located', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-inv-'));
  try {
    await writeFile(join(tmp, 'hosts'), '[web]\nweb1 ansible_port=22 oops\n');
    await loadInventory(join(tmp, 'hosts'));
    assert.unreachable('no error');
  } catch (e) {
    assert.equal((e as UserError).pos, { file: join(tmp, 'hosts'), line: 2, col: 22 });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('a login password is read from ansible_password, ansible_ssh_pass or password', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-inv-'));
  try {
    await writeFile(join(tmp, 'hosts'), 'a ansible_password=s3cret\nb ansible_ssh_pass=other\nc\n');
    const inv = await loadInventory(join(tmp, 'hosts'));
    assert.is(inv.hosts.get('a')!.password, 's3cret');
    assert.is(inv.hosts.get('b')!.password, 'other');
    assert.is(inv.hosts.get('c')!.password, undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('host ranges', () => {
  assert.equal(expandHostRange('kafka[01:03]'), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(expandHostRange('n-[a:c].lab'), ['n-a.lab', 'n-b.lab', 'n-c.lab']);
  assert.equal(expandHostRange('plain'), ['plain']);
});

test('host patterns: Ansible semantics, inventory order', async () => {
  const inv = await loadInventory(join(dir, 'hosts.ini'));
  const m = (p: string) => matchHosts(p, inv);
  const everyone = [...inv.hosts.keys()];
  assert.equal(m('all'), everyone);
  assert.equal(m('*'), everyone);
  assert.equal(m('kafka'), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(m('brokers'), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(m('kafka02'), ['kafka02']);
  assert.equal(m('kafka0*'), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(m('kafka02:zookeeper'), ['zk1', 'zk2', 'zk3', 'kafka02']);
  assert.equal(m('kafka02,zk1'), ['zk1', 'kafka02']);
  assert.equal(m('cluster:&kafka'), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(m('cluster:!kafka01'), ['zk1', 'zk2', 'zk3', 'kafka02', 'kafka03']);
  assert.equal(m('all:!cluster'), ['bastion']);
  assert.equal(m('zk*:&cluster:!zk2'), ['zk1', 'zk3']);
  assert.equal(m('~kafka0[13]'), ['kafka01', 'kafka03']);
  assert.equal(m('nosuch'), []);
  assert.equal(m('nosuch:kafka01'), ['kafka01']);
});

test('extra vars: key=value, flow maps, @file, later wins', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-ev-'));
  try {
    await writeFile(join(tmp, 'vars.yaml'), 'heap: 2g\nlist: [a, b]\nport: 1\n');
    const vars = await parseExtraVars(['port=9092 version=3.10 debug=true', 'msg="hello world"', '{"list": [1, 2], "port": 9093}', `@${join(tmp, 'vars.yaml')}`, 'empty=']);
    assert.equal(vars, { port: 1, version: '3.10', debug: true, msg: 'hello world', list: ['a', 'b'], heap: '2g', empty: '' });
    assert.equal(await parseExtraVars(['{a: 1, b: x}']), { a: 1, b: 'x' });
    try {
      await parseExtraVars(['novalue']);
      assert.unreachable('no error');
    } catch (e) {
      assert.is((e as UserError).kind, 'extra-vars');
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test.run();
