// A KRaft cluster from the shipped install-cluster runbook, on three fresh lab hosts with combined
// roles (each a broker and a controller) on Kafka 4.1.1, through the built CLI as a user runs it:
// no ZooKeeper anywhere; one cluster id on every node; the smoke test's quorum check agrees with
// kafka-metadata-quorum.sh asked separately; a second play changes nothing; runbook status shows
// each node's roles and names no broker the controller (KRaft's Metadata names a random one); with
// one host's meta.properties gone, --check says it would format that host only; a directory of
// another cluster is refused before anything is formatted; a config change rolls the nodes one at
// a time, the quorum leader last. Then the other layout, on the same lab: the three brokers wiped
// (stopped, their data gone) and a new cluster installed with three dedicated controllers on
// kafka04..06 (process.roles=controller) and the brokers on kafka01..03: a new cluster id on all
// six, the quorum on the controllers only, status showing each node's roles, a second play changing
// nothing. Then a seventh host, broker only: add-broker installs it, formats it with the cluster's
// id and spreads the partitions onto it; remove-broker moves them off, stops it and unregisters it
// (KRaft keeps a stopped broker registered, fenced, until then); rollback of the removal starts it
// again, registered. Needs Linux and root and a build (dist/).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { show } from '../helpers/exec.js';
import { HOSTS, kafkaTool, onHost, runbook, useLab } from '../helpers/kafka-lab.js';
import { waitFor } from '../helpers/wait.js';
import type { StatusReport } from '../../src/status/report.js';

const NAME = 'kraft';
const DATA = '/var/lib/kafka/data';
let lab: LabInfo;
let inventory: string;
/** The dedicated controllers of the second cluster: controller group only. */
const CONTROLLERS = ['kafka04', 'kafka05', 'kafka06'];
/** The second cluster: brokers kafka01..03, controllers kafka04..06. */
let dedicated: string;
/** The second cluster with kafka07 in the kafka group: a broker only (no controller). */
let withSeventh: string;
const timings: Record<string, number> = {};

const play = (...flags: string[]) => runbook('play', 'install-cluster', '-i', inventory, ...flags);
/** `host step` of every change (or would-be change) a play's output reports. */
const changes = (output: string) => [...output.matchAll(/^changed: \[(\S+)\] ([^:]+)/gm)].map((m) => `${m[1]} ${m[2]}`);
const clusterIdOn = (host: string) => onHost(host, `sed -n 's/^cluster.id=//p' ${DATA}/meta.properties`);
const rolesOn = (host: string) => onHost(host, "sed -n 's/^process.roles=//p' /home/kafka/kafka/config/server.properties");

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 7, name: NAME });
  useLab(NAME, lab);
  // The lab's inventory, made KRaft ones: no myid (no ZooKeeper), the groups as each layout has them.
  const inv = parse(await readFile(lab.inventory, 'utf8'));
  inv.all.vars = { ...inv.all.vars, kafka_mode: 'kraft', kafka_version: '4.1.1' };
  for (const h of Object.keys(inv.all.hosts)) delete inv.all.hosts[h].myid;
  const group = (names: string[]) => ({ hosts: Object.fromEntries(names.map((h) => [h, {}])) });
  const write = async (file: string, children: object) => {
    const path = join(dirname(lab.inventory), file);
    await writeFile(path, stringify({ ...inv, all: { ...inv.all, children } }));
    return path;
  };
  inventory = await write('kraft.yaml', { kafka: group(HOSTS), controller: group(HOSTS) });
  dedicated = await write('kraft-dedicated.yaml', { kafka: group(HOSTS), controller: group(CONTROLLERS) });
  withSeventh = await write('kraft-seventh.yaml', { kafka: group([...HOSTS, 'kafka07']), controller: group(CONTROLLERS) });
});

test.after(async () => {
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('install-cluster with kafka_mode kraft: formatted once with one cluster id, quorum and smoke test pass, no ZooKeeper', async () => {
  const started = Date.now();
  const r = await play();
  timings['KRaft install (3 combined nodes)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const formatted = changes(r.stdout).filter((c) => / Format the log directories/.test(c));
  assert.equal(formatted.map((c) => c.split(' ')[0]).sort(), HOSTS, r.stdout);
  assert.match(r.stdout, /^ok: \[kafka01\] Check the KRaft quorum has a leader and every voter caught up/m);
  assert.match(r.stdout, /^ok: \[kafka01\] Produce on the first broker, consume from the beginning on the second/m);
  assert.not.match(r.stdout, /ZooKeeper \(|zoo\.cfg/);

  const ids = await Promise.all(HOSTS.map(clusterIdOn));
  assert.ok(/^[A-Za-z0-9_-]{22}$/.test(ids[0]), ids[0]);
  assert.equal(ids, [ids[0], ids[0], ids[0]]);
  assert.is(await onHost('kafka02', `sed -n 's/^node.id=//p' ${DATA}/meta.properties`), '2');
  assert.is(await onHost('kafka01', 'systemctl is-active zookeeper || true'), 'inactive');
  // Kafka's own tool, asked apart from the runbook: a leader, the three voters, the same cluster.
  const quorum = await onHost('kafka03', kafkaTool('kafka-metadata-quorum.sh', '--bootstrap-server kafka03:9092 describe --status'));
  assert.match(quorum, new RegExp(`ClusterId:\\s+${ids[0]}`));
  assert.match(quorum, /LeaderId:\s+[123]\b/);
  for (const id of [1, 2, 3]) assert.match(quorum, new RegExp(`CurrentVoters:.*\\b${id}\\b`));
});

test('play again: nothing changes, and the cluster id stays', async () => {
  const before = await clusterIdOn('kafka01');
  const started = Date.now();
  const r = await play('--skip-tags', 'smoke');
  timings['KRaft no-op play'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  assert.equal(changes(r.stdout), [], r.stdout);
  assert.is(await clusterIdOn('kafka01'), before);
});

test("runbook status: healthy, each node shown with its KRaft roles, the quorum's leader named controller", async () => {
  const r = await runbook('status', '-i', inventory, '--json');
  assert.is(r.code, 0, show(r));
  const report = JSON.parse(r.stdout) as StatusReport;
  assert.is(report.health, 'healthy', r.stdout);
  // kafka04.. are in the inventory, in no group of this layout: nothing to report there.
  assert.equal(report.hosts.filter((h) => HOSTS.includes(h.name)).map((h) => [h.name, h.kafka?.process_roles, h.kafka?.registered, h.zookeeper]), HOSTS.map((h) => [h, 'broker,controller', true, undefined]));
  const leader = Number(/LeaderId:\s+(\d+)/.exec(await onHost('kafka01', kafkaTool('kafka-metadata-quorum.sh', '--bootstrap-server kafka01:9092 describe --status')))![1]);
  assert.is(report.cluster.kafka?.active_controller, leader);
  assert.equal(report.hosts.filter((h) => h.kafka?.active_controller).map((h) => h.kafka?.broker_id), [leader]);
});

test("one host's meta.properties gone: --check would format that host only, with the cluster's id", async () => {
  const id = await clusterIdOn('kafka01');
  await onHost('kafka03', `mv ${DATA}/meta.properties /root/meta.properties.saved`);
  try {
    const r = await play('--check', '--skip-tags', 'smoke', '--detailed-exitcode');
    assert.is(r.code, 3, show(r));
    assert.equal(changes(r.stdout), ['kafka03 Format the log directories for the KRaft cluster, once (kafka-storage.sh format)'], r.stdout);
    assert.match(r.stdout, new RegExp(`would format ${DATA} \\(no meta.properties; cluster ${id}, node 3\\)`));
  } finally {
    await onHost('kafka03', `mv /root/meta.properties.saved ${DATA}/meta.properties`);
  }
});

test('a data directory of another cluster is refused, naming it, before anything is formatted', async () => {
  await onHost('kafka02', `cp -p ${DATA}/meta.properties /root/meta.properties.saved && sed -i 's/^cluster.id=.*/cluster.id=AAAAAAAAAAAAAAAAAAAAAQ/' ${DATA}/meta.properties`);
  try {
    const r = await play('--check', '--skip-tags', 'smoke');
    assert.is(r.code, 2, show(r));
    assert.match(r.stdout, new RegExp(`AAAAAAAAAAAAAAAAAAAAAQ on kafka02:${DATA}`));
    assert.not.match(r.stdout, /would format/);
  } finally {
    await onHost('kafka02', `mv /root/meta.properties.saved ${DATA}/meta.properties`);
  }
  const clean = await play('--check', '--skip-tags', 'smoke', '--detailed-exitcode');
  assert.is(clean.code, 0, show(clean));
});

// Last: the cluster runs with a setting the inventory does not have afterwards.
test('a config change rolls the nodes one at a time, the quorum leader last, and the brokers run with it', async () => {
  const startedAt = () => Promise.all(HOSTS.map((h) => onHost(h, 'systemctl show -p ActiveEnterTimestampMonotonic --value kafka.service').then(Number)));
  const before = await startedAt();
  const started = Date.now();
  const r = await play('--skip-tags', 'smoke', '-e', 'kafka_num_partitions=4');
  timings['KRaft rolling restart (3 nodes)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const restarts = changes(r.stdout).filter((c) => / Restart Kafka/.test(c));
  assert.is(restarts.length, 3, r.stdout);
  const last = restarts.filter((c) => /the active controller$/.test(c));
  assert.is(last.length, 1, r.stdout);
  const after = await startedAt();
  HOSTS.forEach((h, i) => assert.ok(after[i] > before[i], `${h} was not restarted`));
  // The leader's restart came last (the quorum leader read at its turn, as the controller step does).
  const leaderHost = last[0].split(' ')[0];
  assert.is(Math.max(...after), after[HOSTS.indexOf(leaderHost)], `${leaderHost} (the leader) restarted last`);
  const topic = await onHost('kafka01', kafkaTool('kafka-topics.sh', '--bootstrap-server kafka01:9092 --create --topic after-roll'));
  assert.match(topic, /Created topic after-roll/);
  assert.match(await onHost('kafka01', kafkaTool('kafka-topics.sh', '--bootstrap-server kafka01:9092 --describe --topic after-roll')), /PartitionCount: 4\b/);
});

test('3 dedicated controllers + 3 brokers from scratch: a new cluster id on all six, the quorum on the controllers only, healthy, a second play changes nothing', async () => {
  const old = await clusterIdOn('kafka01');
  // The combined cluster wiped from the brokers' hosts: stopped, its data gone (the release, Java
  // and the old server.properties stay, as on a host reused for a new cluster).
  await Promise.all(HOSTS.map((h) => onHost(h, `systemctl disable --now kafka && rm -rf ${DATA}`)));
  const started = Date.now();
  const r = await runbook('play', 'install-cluster', '-i', dedicated);
  timings['KRaft install (3 dedicated controllers + 3 brokers)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const formatted = changes(r.stdout).filter((c) => / Format the log directories/.test(c));
  assert.equal(formatted.map((c) => c.split(' ')[0]).sort(), [...HOSTS, ...CONTROLLERS], r.stdout);
  assert.match(r.stdout, /^ok: \[kafka01\] Check the KRaft quorum has a leader and every voter caught up/m);
  assert.match(r.stdout, /^ok: \[kafka01\] Produce on the first broker, consume from the beginning on the second/m);

  const ids = await Promise.all([...HOSTS, ...CONTROLLERS].map(clusterIdOn));
  assert.equal(new Set(ids).size, 1, ids.join(' '));
  assert.is.not(ids[0], old);
  assert.equal(await Promise.all([...HOSTS, ...CONTROLLERS].map(rolesOn)), ['broker', 'broker', 'broker', 'controller', 'controller', 'controller']);
  const quorum = await onHost('kafka01', kafkaTool('kafka-metadata-quorum.sh', '--bootstrap-server kafka01:9092 describe --status'));
  assert.match(quorum, new RegExp(`ClusterId:\\s+${ids[0]}`));
  assert.match(quorum, /LeaderId:\s+[456]\b/);
  // Kafka 4's listing: CurrentVoters: [{"id": 4, "directoryId": ..., "endpoints": [...]}, ...].
  const voters = [.../^CurrentVoters:.*$/m.exec(quorum)![0].matchAll(/"id": ?(\d+)/g)].map((m) => Number(m[1])).sort();
  assert.equal(voters, [4, 5, 6], quorum);

  const status = await runbook('status', '-i', dedicated, '--json');
  assert.is(status.code, 0, show(status));
  const report = JSON.parse(status.stdout) as StatusReport;
  assert.is(report.health, 'healthy', status.stdout);
  const nodes = report.hosts.filter((h) => h.kafka).map((h) => [h.name, h.kafka?.process_roles, h.kafka?.unit.active, h.kafka?.registered]);
  assert.equal(nodes, [...HOSTS.map((h) => [h, 'broker', 'active', true]), ...CONTROLLERS.map((h) => [h, 'controller', 'active', undefined])]);
  assert.equal(report.cluster.kafka?.expected, [1, 2, 3]);
  assert.is(report.cluster.kafka?.active_controller, Number(/LeaderId:\s+(\d+)/.exec(quorum)![1]), 'the quorum leader, a dedicated controller');

  const again = await runbook('play', 'install-cluster', '-i', dedicated, '--skip-tags', 'smoke');
  assert.is(again.code, 0, show(again));
  assert.equal(changes(again.stdout), [], again.stdout);
});

/** The brokers the cluster has registered, stopped ones (fenced) included: Kafka 4's own listing. */
async function registered(): Promise<string[]> {
  const out = await onHost('kafka01', kafkaTool('kafka-cluster.sh', 'list-endpoints --bootstrap-server kafka01:9092 --include-fenced-brokers'));
  return [...out.matchAll(/^(\d+)\s.*\s(fenced|unfenced)\s+broker\s*$/gm)].map((m) => `${m[1]} ${m[2]}`);
}

const onBroker7 = async () => {
  const out = await onHost('kafka01', kafkaTool('kafka-topics.sh', '--bootstrap-server kafka01:9092 --describe'));
  return [...out.matchAll(/Topic: (\S+)\tPartition: (\d+)\t.*Replicas: ([\d,]+)/g)].filter((m) => m[3].split(',').includes('7')).map((m) => `${m[1]}-${m[2]}`);
};

test('add-broker kafka07 (broker only): formatted with the cluster id, registered, partitions spread onto it', async () => {
  await onHost('kafka01', kafkaTool('kafka-topics.sh', '--bootstrap-server kafka01:9092 --create --topic spread --partitions 8 --replication-factor 3'));
  const started = Date.now();
  const r = await runbook('play', 'add-broker', '-i', withSeventh, '-e', 'brokers=kafka07');
  timings['add-broker (KRaft)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  assert.is(await clusterIdOn('kafka07'), await clusterIdOn('kafka01'));
  assert.match(await onHost('kafka07', 'cat /home/kafka/kafka/config/server.properties'), /^process\.roles=broker$/m);
  assert.equal(await registered(), ['1 unfenced', '2 unfenced', '3 unfenced', '7 unfenced']);
  assert.ok((await onBroker7()).some((p) => p.startsWith('spread-')), 'broker 7 holds replicas of spread');
});

test('remove-broker kafka07: nothing left on it, stopped, unregistered; a second play changes nothing; rollback brings it back registered', async () => {
  const started = Date.now();
  const r = await runbook('play', 'remove-broker', '-i', withSeventh, '-e', 'brokers=kafka07');
  timings['remove-broker (KRaft)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  assert.match(r.stdout, /^changed: \[kafka0[123]\] Unregister the removed brokers from the KRaft cluster \(kafka-cluster\.sh unregister\): unregister broker\(s\) 7 \(stopped, still registered\)/m);
  assert.equal(await onBroker7(), []);
  assert.is(await onHost('kafka07', 'systemctl is-active kafka; systemctl is-enabled kafka || true'), 'inactive\ndisabled');
  assert.equal(await registered(), ['1 unfenced', '2 unfenced', '3 unfenced']);
  const again = await runbook('play', 'remove-broker', '-i', withSeventh, '-e', 'brokers=kafka07');
  assert.is(again.code, 0, show(again));
  assert.equal(changes(again.stdout), [], again.stdout);

  const back = await runbook('rollback');
  assert.is(back.code, 0, show(back));
  assert.is(await onHost('kafka07', 'systemctl is-active kafka'), 'active');
  assert.ok(await waitFor(async () => (await registered()).includes('7 unfenced'), 120_000), 'broker 7 registered again');
  assert.ok((await onBroker7()).some((p) => p.startsWith('spread-')), 'broker 7 holds its replicas again');
});

test.run();
