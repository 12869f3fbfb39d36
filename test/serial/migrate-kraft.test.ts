// The move from ZooKeeper to KRaft (runbooks/migrate-to-kraft.yaml) on a 3-host lab cluster that
// install-cluster set up on Kafka 3.9.2 with ZooKeeper (the upgrades suite proves the way there
// from 3.5.1), with three dedicated controllers as a second Kafka instance on the same hosts
// (`instance: -controller`), and Kafka's VerifiableProducer and VerifiableConsumer running
// throughout on a replication factor 3, min.insync.replicas=2 topic:
//   - --check first: would format each controller once, with the cluster's id, and changes nothing;
//   - the migration stopped short of the finalize (--skip-tags finalize), then rolled back: the
//     brokers rolled back twice (Kafka's revert), the controllers deprovisioned, ZooKeeper's
//     /controller a broker's again and /migration gone; nothing lost, never offline;
//   - the migration killed with -9 in the middle of the broker roll into KRaft, then resumed:
//     every acknowledged message consumed, never a partition offline, one broker down at a time;
//     each broker started once per roll (twice), each controller once and once more to finalize;
//     the brokers on KRaft under the controllers' quorum, ZooKeeper stopped;
//   - a second play changes nothing; rollback refuses, naming the reason;
//   - then upgrade-kafka to Kafka 4.1.1 on the KRaft cluster, with traffic: the controllers first
//     (the quorum leader last), then the brokers, each moved once; metadata.version raised last;
//     a second play changes nothing; rollback refuses at the raise;
//   - rolling-restart --check on it: each controller once (the quorum leader by the last step),
//     then each broker, and nothing restarted.
// Needs Linux and root and a build (dist/).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { ROOT, show } from '../helpers/exec.js';
import { assertCalm, BOOTSTRAP, CLI, controllerId, HOSTS, kafkaTool, onHost, runbook, sampler, startClients, starts, stopAll, stopClients, useLab } from '../helpers/kafka-lab.js';
import { waitFor } from '../helpers/wait.js';

const NAME = 'migrate-kraft';
const CONFIG = '/home/kafka/kafka_2.13-3.9.2/config';
const CONTROLLER_DATA = '/var/lib/kafka-controller/data';
let lab: LabInfo;
let inventory: string;
/** The migration's run: the one killed and resumed. */
let runId = '';
const timings: Record<string, number> = {};

/**
 * Brokers that went down without a controlled shutdown (their leaderships stranded until they were
 * gone): a ZooKeeper-mode broker logs it when every attempt failed. A safe roll leaves none.
 */
async function uncleanShutdowns(): Promise<string[]> {
  const counts = await Promise.all(HOSTS.map(async (h) => [h, await onHost(h, `cat /home/kafka/kafka_2.13-3.9.2/logs/server.log* | grep -c 'Proceeding to do an unclean shutdown' || true`)] as const));
  return counts.filter(([, n]) => n !== '0').map(([h, n]) => `${h}: ${n}`);
}

/** `host step` of every change (or would-be change) a play's output reports. */
const changes = (output: string) => [...output.matchAll(/^changed: \[(\S+)\] ([^:]+)/gm)].map((m) => `${m[1]} ${m[2]}`);

test.before(async () => {
  const started = Date.now();
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
  timings['lab up'] = (Date.now() - started) / 1000;
  useLab(NAME, lab);
  // The lab's inventory on Kafka 3.9.2, plus a controller beside each broker: the same machine
  // (address), a Kafka instance of its own, a node id no broker has.
  const inv = parse(await readFile(lab.inventory, 'utf8'));
  inv.all.vars = { ...inv.all.vars, kafka_version: '3.9.2' };
  const controllers: Record<string, Record<string, unknown>> = {};
  HOSTS.forEach((h, i) => {
    const broker = inv.all.hosts[h];
    controllers[`ctrl0${i + 1}`] = {
      ansible_host: broker.ansible_host,
      ansible_user: broker.ansible_user,
      ansible_ssh_private_key_file: broker.ansible_ssh_private_key_file,
      kafka_advertised_host: broker.kafka_advertised_host,
      broker_id: 3001 + i,
      instance: '-controller',
    };
  });
  Object.assign(inv.all.hosts, controllers);
  inv.all.children.controller = { hosts: Object.fromEntries(Object.keys(controllers).map((c) => [c, {}])) };
  inventory = join(dirname(lab.inventory), 'migrate.yaml');
  await writeFile(inventory, stringify(inv));
  const installing = Date.now();
  const install = await runbook('play', 'install-cluster', '-i', lab.inventory, '-e', 'kafka_version=3.9.2', '--skip-tags', 'smoke');
  timings['install-cluster 3.9.2'] = (Date.now() - installing) / 1000;
  assert.is(install.code, 0, show(install));
  await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic roll --partitions 3 --replication-factor 3 --config min.insync.replicas=2`));
});

test.after(async () => {
  stopAll();
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('--check: would install, format and start the three controllers with the cluster id from ZooKeeper, and touches nothing', async () => {
  const id = /"id":"([A-Za-z0-9_-]{22})"/.exec(await onHost('kafka01', kafkaTool('zookeeper-shell.sh', 'kafka01:2181/gcp-kafka-cluster get /cluster/id 2>/dev/null')))![1];
  const started = Date.now();
  const r = await runbook('play', 'migrate-to-kraft', '-i', inventory, '--check');
  timings['migrate-to-kraft --check'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  for (const [i, c] of ['ctrl01', 'ctrl02', 'ctrl03'].entries()) {
    assert.match(r.stdout, new RegExp(`^changed: \\[${c}\\] Format the controllers' log directories[^\\n]*would format ${CONTROLLER_DATA} \\(no meta.properties; cluster ${id}, node ${3001 + i}\\)`, 'm'));
  }
  assert.ok(changes(r.stdout).some((c) => c.startsWith('kafka01 Stop ZooKeeper')), r.stdout);
  for (const h of HOSTS) {
    assert.is(await onHost(h, `test -e ${CONTROLLER_DATA} && echo there || echo absent`), 'absent');
    assert.is(await onHost(h, `grep -c migration ${CONFIG}/server.properties || true`), '0');
  }
});

test('stopped short of the finalize (--skip-tags finalize), then rolled back to ZooKeeper with traffic: nothing lost, never offline, as before', async () => {
  const configs = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await onHost(h, `base64 -w0 ${CONFIG}/server.properties`)] as const)));
  const brokersBefore = await starts('kafka');
  await startClients('revert');
  const samples = sampler();
  let started = Date.now();
  const play = await runbook('play', 'migrate-to-kraft', '-i', inventory, '--skip-tags', 'finalize');
  timings['migrate-to-kraft --skip-tags finalize'] = (Date.now() - started) / 1000;
  assert.is(play.code, 0, show(play));
  assert.match(play.stdout, /checkpoint: brokers-on-kraft/);
  for (const h of HOSTS) assert.match(await onHost(h, `cat ${CONFIG}/server.properties`), /^process\.roles=broker$/m, `${h}: on KRaft`);
  const playRun = (await runbook('runs')).stdout.split('\n').filter((l) => / migrate-to-kraft /.test(l)).pop()?.split(' ')[0];
  assert.ok(playRun);

  const check = await runbook('rollback', playRun!, '--check');
  assert.is(check.code, 0, show(check));
  for (const h of HOSTS) {
    assert.match(check.stdout, new RegExp(`${h}: would undo the include "Brokers on KRaft" \\(by its undo: steps\\)`));
    assert.match(check.stdout, new RegExp(`${h}: would undo the include "Brokers into migration mode" \\(by its undo: steps\\)`));
  }
  started = Date.now();
  const rollback = await runbook('rollback', playRun!);
  timings['rollback to ZooKeeper'] = (Date.now() - started) / 1000;
  assert.is(rollback.code, 0, show(rollback));
  const seen = await samples.stop();
  assertCalm(await stopClients('revert'), seen);
  // The revert's ZooKeeper controller could move the leaders (its epoch above the KRaft one's).
  assert.equal(await uncleanShutdowns(), [], rollback.stdout);

  // Two rolls there and two back, each broker once per roll; the brokers' files byte for byte.
  const brokersAfter = await starts('kafka');
  for (const h of HOSTS) {
    assert.is(brokersAfter[h], brokersBefore[h] + 4, `${h}: started once per roll\n${rollback.stdout}`);
    assert.is(await onHost(h, `base64 -w0 ${CONFIG}/server.properties`), configs[h], `${h}: server.properties as before`);
    assert.is(await onHost(h, 'test -e /var/lib/kafka/data/__cluster_metadata-0 && echo there || echo absent'), 'absent', `${h}: no KRaft metadata log left`);
    // The controllers deprovisioned: stopped, disabled, their config and data gone.
    assert.is(await onHost(h, 'systemctl is-active kafka-controller || true'), 'inactive');
    assert.is(await onHost(h, `test -e ${CONTROLLER_DATA} || test -e ${CONFIG}/server-controller.properties && echo there || echo absent`), 'absent');
  }
  // A broker is ZooKeeper's controller again, and no migration state is left to trip the next one.
  assert.ok([1, 2, 3].includes(await controllerId()), 'a broker holds /controller');
  const migration = await onHost('kafka01', kafkaTool('zookeeper-shell.sh', 'kafka01:2181/gcp-kafka-cluster get /migration 2>&1 || true'));
  assert.match(migration, /Node does not exist/);
  const topic = await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic after-revert --replication-factor 3`));
  assert.match(topic, /Created topic after-revert/);
});

test('the whole trip with traffic, killed with -9 in the broker roll into KRaft and resumed: nothing lost, never offline, ZooKeeper stopped', async () => {
  const brokersBefore = await starts('kafka');
  const controllersBefore = await starts('kafka-controller');
  await startClients('migrate');
  const samples = sampler();
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'play', 'migrate-to-kraft', '-i', inventory], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b) => (output += b));
  let done = false;
  const exited = new Promise((r) => child.on('exit', r)).then(() => (done = true));
  // Past the metadata migration, the first broker restarted into KRaft mode: kill there.
  const reached = await waitFor(() => {
    const after = output.split('checkpoint: metadata-migrated')[1];
    return done || (after !== undefined && /changed: \[kafka0\d\] Restart Kafka/.test(after));
  }, 900_000, 200);
  assert.ok(reached && !done, `killed in the broker roll into KRaft, not after:\n${output}`);
  child.kill('SIGKILL');
  await exited;
  const resumed = await runbook('resume');
  runId = /resuming run (\S+)/.exec(resumed.stdout)?.[1] ?? '';
  timings['migrate-to-kraft (killed and resumed)'] = (Date.now() - started) / 1000;
  assert.is(resumed.code, 0, `${output}\n${show(resumed)}`);
  const seen = await samples.stop();
  const result = await stopClients('migrate');
  assertCalm(result, seen, { zookeeperRetired: true });

  // Two rolls of the brokers (migration settings, then KRaft), each broker once per roll, the kill
  // notwithstanding; each controller started, then restarted once out of migration mode.
  const brokersAfter = await starts('kafka');
  for (const h of HOSTS) assert.is(brokersAfter[h], brokersBefore[h] + 2, `${h}: started once per roll (output:\n${output}\n${resumed.stdout})`);
  const controllersAfter = await starts('kafka-controller');
  for (const h of HOSTS) assert.is(controllersAfter[h], controllersBefore[h] + 2, `${h}: the controller started, then restarted to finalize`);
  for (const [i, h] of HOSTS.entries()) {
    const broker = await onHost(h, `cat ${CONFIG}/server.properties`);
    assert.match(broker, /^process\.roles=broker$/m);
    assert.match(broker, new RegExp(`^node\\.id=${i + 1}$`, 'm'));
    assert.not.match(broker, /zookeeper/);
    const controller = await onHost(h, `cat ${CONFIG}/server-controller.properties`);
    assert.match(controller, /^process\.roles=controller$/m);
    assert.not.match(controller, /zookeeper/);
    assert.is(await onHost(h, 'systemctl is-active zookeeper || true'), 'inactive');
    assert.is(await onHost(h, 'systemctl is-enabled zookeeper || true'), 'disabled');
  }
  // Kafka's own tool: the controllers lead the quorum, the brokers are its observers.
  const quorum = await onHost('kafka02', kafkaTool('kafka-metadata-quorum.sh', '--bootstrap-server kafka02:9092 describe --status'));
  assert.match(quorum, /LeaderId:\s+300[123]\b/);
  for (const id of [3001, 3002, 3003]) assert.match(quorum, new RegExp(`CurrentVoters:.*\\b${id}\\b`));
  for (const id of [1, 2, 3]) assert.match(quorum, new RegExp(`CurrentObservers:.*\\b${id}\\b`));
  const topic = await onHost('kafka01', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic after-migration --replication-factor 3`));
  assert.match(topic, /Created topic after-migration/);
});

test('a second play changes nothing; rollback refuses: runbook does not take a cluster back to ZooKeeper', async () => {
  const started = Date.now();
  const again = await runbook('play', 'migrate-to-kraft', '-i', inventory);
  timings['second play'] = (Date.now() - started) / 1000;
  assert.is(again.code, 0, show(again));
  assert.equal(changes(again.stdout), [], again.stdout);
  const refused = await runbook('rollback', runId);
  assert.is(refused.code, 2, show(refused));
  assert.match(refused.stdout, /point of no return: the migration is finalized/);
});

test('upgrade-kafka 3.9.2 → 4.1.1 on KRaft with traffic: controllers first, the quorum leader last, then the brokers; metadata.version raised last', async () => {
  // The migration is done: the inventory says so, as runbooks/README.md tells the user.
  const inv = parse(await readFile(inventory, 'utf8'));
  inv.all.vars.kafka_mode = 'kraft';
  await writeFile(inventory, stringify(inv));
  const upgrade = (...flags: string[]) => runbook('play', 'upgrade-kafka', '-i', inventory, '-e', 'kafka_version=4.1.1', '-e', 'kafka_upgrade_from=3.9.2', ...flags);
  const brokersBefore = await starts('kafka');
  const controllersBefore = await starts('kafka-controller');
  await startClients('upgrade');
  const samples = sampler();
  const started = Date.now();
  const r = await upgrade();
  timings['upgrade-kafka 3.9.2 → 4.1.1 (KRaft, 6 nodes)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const upgradeRun = (await runbook('runs')).stdout.split('\n').filter((l) => / upgrade-kafka /.test(l)).pop()?.split(' ')[0];
  const seen = await samples.stop();
  assertCalm(await stopClients('upgrade'), seen, { zookeeperRetired: true });

  const moved = changes(r.stdout);
  // What failed first, then the play: CI's record keeps a failure's first lines.
  const said = (what: string) => `${what}\n${r.stdout}`;
  // Each controller move with the quorum leader its task read at the controller's turn.
  const controllerMoves = [...r.stdout.matchAll(/^changed: \[(\S+)\] Move (a KRaft controller|the KRaft quorum leader)[^:]*: move controller (\d+) .*\(leader (\d+),/gm)].map(
    ([, host, step, node, leader]) => ({ host, leaderStep: step.startsWith('the'), node, leader }),
  );
  assert.equal(controllerMoves.map((m) => m.host).sort(), ['ctrl01', 'ctrl02', 'ctrl03'], said('each controller moved once'));
  // Never the leader in the first step; the leader step moves the leader, unless leadership moved
  // on its own during the roll (a busy machine) and the first step could move every controller.
  assert.equal(controllerMoves.filter((m) => !m.leaderStep && m.node === m.leader), [], said('no controller moved in the first step while it led'));
  const leadersSeen = new Set(controllerMoves.map((m) => m.leader));
  if (leadersSeen.size === 1) assert.equal(controllerMoves.filter((m) => m.leaderStep).map((m) => m.node), [...leadersSeen], said('the leader step moved the leader'));
  else console.log(`the quorum leader moved on its own during the roll: ${[...leadersSeen].join(' → ')}`);
  assert.equal(moved.filter((c) => / Move a broker/.test(c)).map((c) => c.split(' ')[0]).sort(), HOSTS, said('each broker moved once'));
  // Controllers before brokers, and the raise after every move.
  const at = (pattern: RegExp) => r.stdout.split('\n').findIndex((l) => pattern.test(l));
  const lastControllerMove = Math.max(...r.stdout.split('\n').map((l, i) => (/^changed: \[ctrl0\d\] Move/.test(l) ? i : -1)));
  assert.ok(lastControllerMove >= 0 && lastControllerMove < at(/^changed: \[kafka0\d\] Move a broker/), said('the controllers moved before the brokers'));
  assert.match(r.stdout, /^changed: \[\S+\] Raise metadata.version to the new release \(KRaft\): raise metadata.version from 3.9-IV0 to 4.1/m);
  assert.ok(at(/^changed: \[kafka0\d\] Move a broker/) < at(/Raise metadata.version/), said('raised after the brokers moved'));

  const brokersAfter = await starts('kafka');
  const controllersAfter = await starts('kafka-controller');
  for (const h of HOSTS) {
    assert.is(brokersAfter[h], brokersBefore[h] + 1, `${h}: the broker moved once`);
    assert.is(controllersAfter[h], controllersBefore[h] + 1, `${h}: the controller moved once`);
    for (const link of ['kafka', 'kafka-controller']) assert.is(await onHost(h, `readlink -f /home/kafka/${link}`), '/home/kafka/kafka_2.13-4.1.1');
  }
  const features = await onHost('kafka01', kafkaTool('kafka-features.sh', `--bootstrap-server ${BOOTSTRAP} describe`));
  assert.match(features, /Feature: metadata\.version\s.*FinalizedVersionLevel: 4\.1-IV\d/);
  // Only metadata.version: the dynamic quorum (kraft.version) is a decision of its own.
  assert.match(features, /Feature: kraft\.version\s.*FinalizedVersionLevel: 0\b/);
  const topic = await onHost('kafka02', kafkaTool('kafka-topics.sh', `--bootstrap-server ${BOOTSTRAP} --create --topic after-upgrade --replication-factor 3`));
  assert.match(topic, /Created topic after-upgrade/);

  const again = await upgrade();
  assert.is(again.code, 0, show(again));
  assert.equal(changes(again.stdout), [], again.stdout);
  assert.ok(upgradeRun);
  const refused = await runbook('rollback', upgradeRun!);
  assert.is(refused.code, 2, show(refused));
  assert.match(refused.stdout + refused.stderr, /point of no return: the cluster's metadata is at the new release's metadata.version/);
});

test('rolling-restart --check on KRaft: the controllers (the quorum leader last), then the brokers; nothing restarted', async () => {
  const before = { ...(await starts('kafka')), ...Object.fromEntries(Object.entries(await starts('kafka-controller')).map(([h, n]) => [`${h}-controller`, n])) };
  const started = Date.now();
  const r = await runbook('play', 'rolling-restart', '-i', inventory, '--check');
  timings['rolling-restart --check (KRaft, 6 nodes)'] = (Date.now() - started) / 1000;
  assert.is(r.code, 0, show(r));
  const would = changes(r.stdout);
  assert.equal(would.filter((c) => / Restart (a KRaft controller|the KRaft quorum leader)/.test(c)).map((c) => c.split(' ')[0]).sort(), ['ctrl01', 'ctrl02', 'ctrl03'], r.stdout);
  assert.is(would.filter((c) => / Restart the KRaft quorum leader last/.test(c)).length, 1, r.stdout);
  assert.equal(would.filter((c) => / Restart a broker/.test(c)).map((c) => c.split(' ')[0]).sort(), HOSTS, r.stdout);
  const after = { ...(await starts('kafka')), ...Object.fromEntries(Object.entries(await starts('kafka-controller')).map(([h, n]) => [`${h}-controller`, n])) };
  assert.equal(after, before);
});

test.run();
