// seeds/004's cluster on one lab host: three ZooKeeper members and three brokers as instances
// (inventory/one-vm-dev.example.yaml's layout and ports: clients on 12181/22181/32181, peers on
// 22888:23888, 32888:33888, 42888:43888, brokers on 19092/29092/39092), installed by the shipped
// install-cluster through the built CLI: six units, one leader and two followers, every broker
// registered, the smoke test's topic on all three; a second play changes nothing; the machine
// keeps its name, one lock and one history line per run; a rolling restart treats each instance as
// a member: each restarted once, the ZooKeeper leader and the active controller last, every
// partition back in sync. Needs Linux and root and a build (dist/).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { exec, show } from '../helpers/exec.js';
import { onHost, runbook, useLab } from '../helpers/kafka-lab.js';

const NAME = 'onevm';
const ZK = [1, 2, 3].map((n) => ({ name: `zookeeper${n}`, client: n * 10000 + 2181, quorum: (n + 1) * 10000 + 2888, election: (n + 1) * 10000 + 3888 }));
const BROKERS = [1, 2, 3].map((n) => ({ name: `kafka${n}`, port: n * 10000 + 9092 }));
let lab: LabInfo;
let inventory: string;
let address: string;
const timings: Record<string, number> = {};

const play = (runbookName: string, ...flags: string[]) => runbook('play', runbookName, '-i', inventory, ...flags);
const changedPerHost = (output: string) => Object.fromEntries([...output.matchAll(/^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
const units = [...ZK.map((z) => z.name), ...BROKERS.map((b) => b.name)];
const brokers = () => BROKERS.map((b) => `${address}:${b.port}`).join(',');
/** How many times systemd started each unit on the host. */
const starts = async () =>
  Object.fromEntries(await Promise.all(units.map(async (u) => [u, Number(await onHost('kafka01', `journalctl -u ${u} -o cat --no-pager | grep -c '^Started ' || true`))] as const)));

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 1, name: NAME });
  useLab(NAME, lab);
  address = lab.hosts[0].address;
  // The lab's one host, made the one-VM inventory: its connection and the lab override for every
  // member, the layout of inventory/one-vm-dev.example.yaml for the rest.
  const example = parse(await readFile('inventory/one-vm-dev.example.yaml', 'utf8'));
  const lab1 = parse(await readFile(lab.inventory, 'utf8'));
  const connection = lab1.all.hosts.kafka01;
  delete connection.myid;
  delete connection.broker_id;
  const hosts: Record<string, unknown> = {};
  for (const [name, vars] of Object.entries(example.all.hosts as Record<string, Record<string, unknown>>)) {
    delete vars.ansible_host;
    hosts[name] = { ...connection, ...vars };
  }
  const { ansible_user: _user, ansible_ssh_private_key_file: _key, ...layout } = example.all.vars;
  example.all.vars = { ...lab1.all.vars, ...layout };
  example.all.hosts = hosts;
  inventory = join(dirname(lab.inventory), 'one-vm.yaml');
  await writeFile(inventory, stringify(example));
  // seeds/004's ports 32181, 32888, 33888, 39092, 42888 and 43888 lie in Linux's ephemeral range
  // (32768-60999): a member's outgoing connection may take one as its source port before the
  // member that listens there binds it (a CI run saw zookeeper2 die unable to bind 32888/33888).
  // A VM laid out this way needs them reserved; the shipped runbooks do not do it yet, so the
  // test does, on the lab host, before anything starts.
  const ports = Object.values(hosts).flatMap((vars) =>
    ['zookeeper_client_port', 'zookeeper_quorum_port', 'zookeeper_election_port', 'kafka_port'].flatMap((k) => (vars as Record<string, unknown>)[k] ?? []),
  );
  await onHost('kafka01', `sysctl -qw net.ipv4.ip_local_reserved_ports=${[...new Set(ports)].join(',')}`);
});

test.after(async () => {
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('install-cluster on one machine: three ZooKeeper instances and three brokers on seeds/004 ports, smoke test passes', async () => {
  const hostname = await onHost('kafka01', 'hostname');
  const started = Date.now();
  const r = await play('install-cluster');
  timings['install (6 instances, 1 host)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /^ok: \[zookeeper1\] Check the ensemble has exactly one leader and the rest followers/m);
  assert.match(r.stdout, /^(ok|changed): \[kafka1\] Produce on the first broker, consume from the beginning on the second/m);

  for (const u of units) assert.is(await onHost('kafka01', `systemctl is-active ${u}`), 'active', u);
  // Each member on its own ports, config file and data directory.
  const modes = await Promise.all(ZK.map((z) => onHost('kafka01', `exec 3<>/dev/tcp/127.0.0.1/${z.client}; printf srvr >&3; sed -n 's/^Mode: //p' <&3`)));
  assert.equal([...modes].sort(), ['follower', 'follower', 'leader'], modes.join(' '));
  const zoo2 = await onHost('kafka01', 'cat /home/kafka/zookeeper2/conf/zoo2.cfg');
  assert.match(zoo2, /^clientPort=22181$/m);
  assert.match(zoo2, /^dataDir=\/var\/lib\/zookeeper2\/data$/m);
  for (const [i, z] of ZK.entries()) assert.match(zoo2, new RegExp(`^server\\.${i + 1}=${z.name}:${z.quorum}:${z.election}$`, 'm'));
  assert.is(await onHost('kafka01', 'cat /var/lib/zookeeper3/data/myid'), '3');
  const server3 = await onHost('kafka01', 'cat /home/kafka/kafka3/config/server3.properties');
  assert.match(server3, /^listeners=PLAINTEXT:\/\/:39092$/m);
  assert.match(server3, /^log\.dirs=\/var\/lib\/kafka3\/data$/m);
  assert.match(server3, /^zookeeper\.connect=zookeeper1:12181,zookeeper2:22181,zookeeper3:32181\/gcp-kafka-cluster$/m);
  // The machine keeps its own name; every member's name resolves to it.
  assert.is(await onHost('kafka01', 'hostname'), hostname);
  assert.is(await onHost('kafka01', `getent hosts ${units.join(' ')} | awk '{ print $1 }' | sort -u`), address);
  // One run, one lock, one history line for the six members.
  const history = (await onHost('kafka01', 'cat /var/lib/runbook/history.jsonl')).split('\n').map((l) => JSON.parse(l) as { hosts?: string[]; result: string });
  assert.is(history.length, 1);
  assert.equal([...(history[0].hosts ?? [])].sort(), [...units].sort());
  assert.is(history[0].result, 'ok');

  // Clients on this machine reach all three brokers, each advertising its own port.
  const topic = await exec('kcat', ['-b', brokers(), '-L', '-t', 'test', '-J']);
  assert.is(topic.code, 0, show(topic));
  const meta = JSON.parse(topic.stdout) as { brokers: Array<{ id: number; name: string }>; topics: Array<{ partitions: Array<{ replicas: unknown[] }> }> };
  assert.equal(meta.brokers.map((b) => b.name).sort(), BROKERS.map((b) => `${address}:${b.port}`).sort());
  assert.equal(meta.topics[0].partitions.map((p) => p.replicas.length), [3, 3], 'seeds/004: 2 partitions, replication factor 3');
});

test('play again: 0 changed on every member', async () => {
  const started = Date.now();
  const again = await play('install-cluster');
  timings['no-op play'] = (Date.now() - started) / 1000;
  assert.is(again.code, 0, show(again));
  assert.equal(changedPerHost(again.stdout), Object.fromEntries(units.map((u) => [u, 0])), again.stdout);
});

test('rolling-restart: each instance restarted once, the ZooKeeper leader and the active controller last, nothing offline', async () => {
  const before = await starts();
  const controller = (JSON.parse((await exec('kcat', ['-b', brokers(), '-L', '-J'])).stdout) as { controllerid: number }).controllerid;
  const leader = ZK[(await Promise.all(ZK.map((z) => onHost('kafka01', `exec 3<>/dev/tcp/127.0.0.1/${z.client}; printf srvr >&3; sed -n 's/^Mode: //p' <&3`)))).indexOf('leader')].name;
  const started = Date.now();
  const r = await play('rolling-restart');
  timings['rolling restart (6 instances)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const after = await starts();
  assert.equal(Object.fromEntries(units.map((u) => [u, after[u] - before[u]])), Object.fromEntries(units.map((u) => [u, 1])), r.stdout);
  const order = [...r.stdout.matchAll(/^changed: \[(\S+)\] Restart/gm)].map((m) => m[1]);
  assert.is(order.filter((h) => h.startsWith('zookeeper')).at(-1), leader, r.stdout);
  assert.is(order.filter((h) => h.startsWith('kafka')).at(-1), `kafka${controller}`, r.stdout);
  assert.is(order.length, 6, r.stdout);
  // The topic kept every partition led and fully in sync.
  const topic = await exec('kcat', ['-b', brokers(), '-L', '-t', 'test', '-J']);
  assert.is(topic.code, 0, show(topic));
  const meta = JSON.parse(topic.stdout) as { topics: Array<{ partitions: Array<{ leader: number; isrs: unknown[] }> }> };
  assert.equal(meta.topics[0].partitions.map((p) => p.isrs.length), [3, 3]);
});

test.run();
