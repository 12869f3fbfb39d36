// runbook status without hosts: the probe's output parsed (captured from a lab broker), the
// verdict on fixed facts (healthy, a broker down, ZooKeeper without quorum, a host not reached,
// offline partitions, a full disk), every report valid against the published schema (checked
// by ajv, not by the zod schema it was generated from), and hostile values escaped in the views.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseHostProbe, hostScript, type HostRoles } from '../../src/status/probe.js';
import { rolesOf } from '../../src/status/roles.js';
import type { ReachedHost } from '../../src/cli/reach.js';
import { assess, type AssessInput } from '../../src/status/assess.js';
import { statusJsonSchema, type HostFacts, type StatusReport } from '../../src/status/report.js';
import { formatStatus } from '../../src/status/text.js';
import { statusHtml } from '../../src/status/html.js';
import { parseDescribe, partitionStates } from '../../src/sdk/kafka-health.js';
import type { KafkaCluster } from '../../src/sdk/kafka-cluster.js';

const published = JSON.parse(readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(published);

function valid(report: StatusReport): void {
  // Through JSON, as --json prints it: undefined fields vanish, as they do for a reader.
  const ok = validate(JSON.parse(JSON.stringify(report)));
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
}

const S = '\n\0@@';
/** A lab broker-and-member's answer to the probe, as captured (sections start with a NUL). */
const CAPTURED = [
  `${S}zookeeper\nactive=active\nenabled=enabled\nxmx=512m\nxms=512m\nversion=3.7.1\njava=17.0.21.1\n`,
  `${S}zookeeper-config\ndataDir=/var/lib/zookeeper/data\ndataLogDir=/var/lib/zookeeper/log\n`,
  `${S}zookeeper-disk\n/var/lib/zookeeper/data\toverlay          264212084 26000952  80389960      25% /\n/var/lib/zookeeper/log\tdf: /var/lib/zookeeper/log: No such file or directory\n`,
  `${S}srvr\nZookeeper version: 3.7.1-a2fb57c55f8e59cdd76c34b357ad5181df1258d5, built on 2022-05-07 06:45 UTC\nLatency min/avg/max: 0/0.5/12\nReceived: 310\nSent: 309\nConnections: 1\nOutstanding: 0\nZxid: 0x10000009d\nMode: follower\nNode count: 143\n`,
  `${S}kafka\nactive=active\nenabled=enabled\nxmx=1G\nxms=1G\nversion=3.5.1\njava=17.0.21.1\n`,
  `${S}kafka-config\nbroker.id=1\nlisteners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://10.213.1.11:9092\nlog.dirs=/var/lib/kafka/data\n`,
  `${S}kafka-disk\n/var/lib/kafka/data\toverlay          264212084 26000952  80389960      25% /\n`,
  `${S}kafka-listeners\nPLAINTEXT://10.213.1.11:9092\tyes\nPLAINTEXT://10.9.9.9:9093\tno\n`,
].join('');

const ROLES: HostRoles = {
  name: 'kafka01',
  zookeeper: { unit: 'zookeeper', clientPort: 2181, configFallback: '/home/kafka/zookeeper/conf/zoo.cfg', home: '/home/kafka/zookeeper' },
  kafka: { unit: 'kafka', configFallback: '/home/kafka/kafka/config/server.properties' },
};

test('the probe output of a lab host becomes its facts', () => {
  const p = parseHostProbe(CAPTURED, ROLES);
  assert.is(p.java, '17.0.21.1');
  assert.equal(p.zookeeper, {
    unit: { name: 'zookeeper', active: 'active', enabled: 'enabled' },
    version: '3.7.1',
    mode: 'follower',
    outstanding: 0,
    node_count: 143,
    connections: 1,
    client_port: 2181,
    data_dirs: [
      { path: '/var/lib/zookeeper/data', used_percent: 25, available_bytes: 80389960 * 1024 },
      { path: '/var/lib/zookeeper/log', error: '/var/lib/zookeeper/log: No such file or directory' },
    ],
    heap: { xms: '512m', xmx: '512m' },
  });
  assert.equal(p.kafka, {
    unit: { name: 'kafka', active: 'active', enabled: 'enabled' },
    version: '3.5.1',
    broker_id: 1,
    listeners: [
      { listener: 'PLAINTEXT://10.213.1.11:9092', reachable: true },
      { listener: 'PLAINTEXT://10.9.9.9:9093', reachable: false },
    ],
    data_dirs: [{ path: '/var/lib/kafka/data', used_percent: 25, available_bytes: 80389960 * 1024 }],
    heap: { xms: '1G', xmx: '1G' },
  });
});

test("a stopped service: no process facts, srvr's failure kept as the reason; the inventory's broker_id wins", () => {
  const out = `${S}zookeeper\nactive=inactive\nenabled=enabled\n${S}srvr\nbash: connect: Connection refused\n${S}kafka\nactive=failed\nenabled=enabled\n${S}kafka-config\nbroker.id=7\n`;
  const p = parseHostProbe(out, { ...ROLES, kafka: { ...ROLES.kafka!, brokerId: 3 } });
  assert.is(p.zookeeper?.mode, undefined);
  assert.is(p.zookeeper?.error, 'bash: connect: Connection refused');
  assert.is(p.kafka?.unit.active, 'failed');
  assert.is(p.kafka?.broker_id, 3);
  assert.is(p.kafka?.version, undefined);
  // A KRaft node: its node.id and roles, read from the config it runs with.
  const kraft = parseHostProbe(`${S}kafka\nactive=active\nenabled=enabled\n${S}kafka-config\nprocess.roles=broker,controller\nnode.id=2\n`, { name: 'k2', kafka: { unit: 'kafka', configFallback: '/c' } });
  assert.equal([kraft.kafka?.broker_id, kraft.kafka?.process_roles], [2, 'broker,controller']);
});

test('the probe script asks only for the roles the host has, with the values quoted', () => {
  const zkOnly = hostScript({ name: "z'1", zookeeper: { unit: 'zookeeper', clientPort: 2181, configFallback: '/x y/zoo.cfg', home: '/x y' } }).text;
  assert.ok(zkOnly.includes('rb_proc zookeeper'));
  assert.not.ok(zkOnly.includes('rb_proc kafka'));
  assert.ok(zkOnly.includes(`cfg='/x y/zoo.cfg'`), zkOnly);
  assert.ok(zkOnly.includes(`'z'"'"'1'`), 'the host name is quoted');
});

test('an instance (one of several members on a machine) is probed under its own unit, link and config file', () => {
  const member = (name: string, vars: Record<string, unknown>) => ({ name, vars }) as unknown as ReachedHost;
  const one = rolesOf(member('zookeeper2', { instance: 2, zookeeper_client_port: 22181 }), new Set(['zookeeper2']), new Set());
  assert.equal(one.zookeeper, { unit: 'zookeeper2', clientPort: 22181, configFallback: '/home/kafka/zookeeper2/conf/zoo2.cfg', home: '/home/kafka/zookeeper2' });
  const broker = rolesOf(member('kafka3', { instance: '3', broker_id: 3 }), new Set(), new Set(['kafka3']));
  assert.equal(broker.kafka, { unit: 'kafka3', brokerId: 3, configFallback: '/home/kafka/kafka3/config/server3.properties' });
  assert.ok(hostScript(broker).text.includes('rb_proc kafka3 '));
  // A value that is no suffix is not spliced into paths: the member is read as the host's only one.
  assert.is(rolesOf(member('k', { instance: '../x' }), new Set(), new Set(['k'])).kafka?.unit, 'kafka');
});

test('a config path that looks like an option is read as a file, never obeyed (its user sets the command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-status-probe-'));
  try {
    const pwned = join(dir, 'pwned');
    const script = hostScript({ name: 'kafka01', kafka: { unit: 'kafka', configFallback: `--expression=w ${pwned}` } }).text;
    // No kafka unit runs here, so the fallback is the path read: sed without -- would write the file.
    execFileSync('/bin/sh', ['-c', script], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 30_000 });
    assert.not.ok(existsSync(pwned));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the verdict ------------------------------------------------------------------------------

const DESCRIBE = `Topic: orders\tTopicId: x\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2
\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3
\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1
`;

function cluster(describe: string, alive = [1, 2, 3], controller = 1): KafkaCluster {
  const topics = parseDescribe(describe);
  return { topics, partitions: partitionStates(topics, 1), defaultMinIsr: 1, alive, controller };
}

function host(name: string, over: { zk?: Partial<NonNullable<HostFacts['zookeeper']>>; kafka?: Partial<NonNullable<HostFacts['kafka']>>; id: number }): HostFacts {
  return {
    name,
    reachable: true,
    java: '17.0.21',
    zookeeper: {
      unit: { name: 'zookeeper', active: 'active', enabled: 'enabled' },
      mode: name === 'kafka03' ? 'leader' : 'follower',
      client_port: 2181,
      data_dirs: [{ path: '/var/lib/zookeeper/data', used_percent: 20, available_bytes: 1e10 }],
      ...over.zk,
    },
    kafka: {
      unit: { name: 'kafka', active: 'active', enabled: 'enabled' },
      version: '3.9.2',
      broker_id: over.id,
      listeners: [{ listener: `PLAINTEXT://${name}:9092`, reachable: true }],
      data_dirs: [{ path: '/var/lib/kafka/data', used_percent: 20, available_bytes: 1e10 }],
      ...over.kafka,
    },
  };
}

function input(hosts: HostFacts[], c: KafkaCluster | undefined, error?: string): AssessInput {
  return {
    time: '2026-11-29T00:00:00.000Z',
    hosts,
    zookeeperMembers: ['kafka01', 'kafka02', 'kafka03'],
    brokers: [
      { host: 'kafka01', id: 1 },
      { host: 'kafka02', id: 2 },
      { host: 'kafka03', id: 3 },
    ],
    kafka: c ? { from: 'kafka01', cluster: c } : { error: error ?? 'no broker host was reached' },
  };
}

const healthy = () => [host('kafka01', { id: 1 }), host('kafka02', { id: 2 }), host('kafka03', { id: 3 })];

test('healthy: no problem, each broker registered, the controller marked', () => {
  const r = assess(input(healthy(), cluster(DESCRIBE)));
  assert.is(r.health, 'healthy');
  assert.equal(r.problems, []);
  assert.equal(r.cluster.zookeeper, { members: ['kafka01', 'kafka02', 'kafka03'], serving: ['kafka01', 'kafka02', 'kafka03'], leader: 'kafka03', quorum: true });
  assert.equal(r.hosts.map((h) => [h.kafka?.registered, h.kafka?.active_controller]), [[true, true], [true, false], [true, false]]);
  assert.equal(r.cluster.kafka?.partitions, 2);
  valid(r);
});

test("KRaft (process.roles in the config): the roles shown, the quorum's leader marked as the read says (kafka-read.ts asks DescribeQuorum there)", () => {
  // assess marks the hosts' facts it is given: each read gets hosts of its own.
  const kraft = () => healthy().map((h) => ({ ...h, zookeeper: undefined, kafka: { ...h.kafka!, process_roles: 'broker,controller' } }));
  const r = assess({ ...input(kraft(), cluster(DESCRIBE, [1, 2, 3], 2)), zookeeperMembers: [] });
  assert.is(r.health, 'healthy');
  assert.is(r.cluster.kafka?.active_controller, 2);
  assert.equal(r.hosts.map((h) => h.kafka?.active_controller), [false, true, false]);
  assert.match(formatStatus(r, false), /id 2, KRaft broker,controller, registered, controller/);
  // Dedicated controllers: the leader is none of the brokers; a read that could not tell marks none.
  assert.equal(assess({ ...input(kraft(), cluster(DESCRIBE, [1, 2, 3], 3001)), zookeeperMembers: [] }).hosts.map((h) => h.kafka?.active_controller), [false, false, false]);
  const { controller: _, ...untold } = cluster(DESCRIBE);
  const unknown = assess({ ...input(kraft(), untold), zookeeperMembers: [] });
  assert.is(unknown.cluster.kafka?.active_controller, undefined);
  assert.equal(unknown.hosts.map((h) => h.kafka?.active_controller), [undefined, undefined, undefined]);
  valid(r);
});

test('one broker stopped: degraded, naming it and the under-replicated partitions', () => {
  const hosts = healthy();
  hosts[2] = host('kafka03', { id: 3, kafka: { unit: { name: 'kafka', active: 'inactive', enabled: 'enabled' } } });
  const lagging = DESCRIBE.replace('Isr: 1,2,3', 'Isr: 1,2').replace('Isr: 2,3,1', 'Isr: 2,1');
  const r = assess(input(hosts, cluster(lagging, [1, 2])));
  assert.is(r.health, 'degraded');
  assert.equal(
    r.problems.map((p) => `${p.host ?? '-'} ${p.message}`),
    ['kafka03 kafka is inactive', '- 2 partition(s) under-replicated: orders-0, orders-1', 'kafka03 broker 3 is not registered with the cluster'],
  );
  assert.is(r.hosts[2].kafka?.registered, false);
  valid(r);
});

test('two ZooKeeper members stopped: down, no quorum; the one left not serving is named too', () => {
  const hosts = healthy();
  hosts[0] = host('kafka01', { id: 1, zk: { mode: 'not_serving' } });
  for (const i of [1, 2]) hosts[i] = host(hosts[i].name, { id: i + 1, zk: { unit: { name: 'zookeeper', active: 'inactive', enabled: 'enabled' }, mode: undefined, error: 'Connection refused' } });
  const r = assess(input(hosts, undefined, 'cannot read the partitions from kafka01:9092: no answer in time'));
  assert.is(r.health, 'down');
  assert.is(r.problems[0].message, 'ZooKeeper has no quorum: 0 of 3 members serve, no leader');
  assert.is(r.problems[0].severity, 'down');
  assert.ok(r.problems.some((p) => p.host === 'kafka01' && p.message === 'zookeeper runs but does not serve (not_serving)'));
  assert.equal(r.cluster.kafka?.registered, []);
  valid(r);
});

test('a host not reached is degraded while the quorum holds; offline partitions are down', () => {
  const hosts = healthy();
  hosts[1] = { name: 'kafka02', reachable: false, error: 'connect ETIMEDOUT' };
  const offline = DESCRIBE.replace('Leader: 2', 'Leader: none').replace('Isr: 2,3,1', 'Isr: 2');
  const r = assess(input(hosts, cluster(offline, [1, 3])));
  assert.is(r.health, 'down');
  assert.equal(r.problems.filter((p) => p.severity === 'down').map((p) => p.message), ['1 partition(s) offline (no leader): orders-1']);
  assert.ok(r.problems.some((p) => p.host === 'kafka02' && p.message === 'not reached: connect ETIMEDOUT' && p.severity === 'degraded'));
  assert.equal(r.cluster.zookeeper?.serving, ['kafka01', 'kafka03']);
  assert.ok(r.cluster.zookeeper?.quorum);
  valid(r);
});

test('under min ISR, a full disk, a dead listener, a unit not enabled, a broker outside the inventory, min ISR unread', () => {
  const hosts = healthy();
  hosts[0] = host('kafka01', {
    id: 1,
    kafka: { data_dirs: [{ path: '/data', used_percent: 93, available_bytes: 1e9 }], listeners: [{ listener: 'PLAINTEXT://kafka01:9092', reachable: false }] },
    zk: { unit: { name: 'zookeeper', active: 'active', enabled: 'disabled' } },
  });
  const belowMin = DESCRIBE.replace('Isr: 1,2,3', 'Isr: 1');
  const r = assess({ ...input(hosts, cluster(belowMin, [1, 2, 3, 9])), kafka: { from: 'kafka01', cluster: cluster(belowMin, [1, 2, 3, 9]), warning: 'min.insync.replicas could not be read (x)' } });
  assert.is(r.health, 'degraded');
  const messages = r.problems.map((p) => `${p.severity} ${p.message}`);
  for (const m of [
    'degraded 1 partition(s) under min.insync.replicas, acks=all writes fail: orders-0',
    'degraded kafka data directory /data is 93% full',
    'degraded listener PLAINTEXT://kafka01:9092 does not accept connections',
    'warning zookeeper runs but is disabled enabled: it will not start after a reboot',
    'warning broker(s) 9 answer but are not in the inventory',
    'warning min.insync.replicas could not be read (x)',
  ]) {
    assert.ok(messages.includes(m), `${m}\nin\n${messages.join('\n')}`);
  }
  assert.is(r.problems.at(-1)?.severity, 'warning', 'worst first');
  valid(r);
});

test('the published schema is the one runbook prints (runbook schema status > docs/status.schema.json)', () => {
  assert.equal(published, JSON.parse(JSON.stringify(statusJsonSchema())));
});

test('text and HTML views escape what hosts say; colour only when asked', () => {
  const hosts = healthy();
  hosts[1] = { name: 'kafka02', reachable: false, error: '<script>alert(1)</script>\x1b[2J' };
  const r = assess(input(hosts, cluster(DESCRIBE)));
  const text = formatStatus(r, false);
  assert.not.ok(text.includes('\x1b'), 'no escape sequence from a host reaches the terminal');
  assert.ok(text.startsWith('DEGRADED  3 host(s)'));
  assert.ok(formatStatus(r, true).includes('\x1b['), 'coloured on a terminal');
  const html = statusHtml(r);
  assert.not.ok(html.includes('<script>'));
  assert.ok(html.includes('&#60;script&#62;'));
  assert.ok(html.includes('background:#f9a825'), 'the banner has the degraded colour');
});

test.run();
