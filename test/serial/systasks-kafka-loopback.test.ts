// zookeeper_status, kafka_topic, kafka_smoke, kafka_storage, kafka_reassign and the cluster and
// quorum looks (readKafkaCluster, readQuorum: over Kafka's and ZooKeeper's protocols, and in the
// JVM with the broker's libs) against a real ZooKeeper 3.7.1 and Kafka 3.5.1 broker (a second one
// joins for kafka_reassign), and a one-node KRaft cluster of the same release, started here on
// loopback ports (jars from Maven Central through the lab's poms), with bin/ scripts that run the
// same classes Apache's scripts run. No lab hosts needed; the lab suites cover the cluster case
// (test/serial/scale.test.ts: add-broker and remove-broker). Everything started here is stopped
// by pid at the end.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import kafkaSmoke from '../../tasks/kafka_smoke.js';
import kafkaStorage from '../../tasks/kafka_storage.js';
import kafkaTopic from '../../tasks/kafka_topic.js';
import kafkaReassign from '../../tasks/kafka_reassign.js';
import { readCluster } from '../../tasks/kafka/reassign-look.js';
import zookeeperStatus from '../../tasks/zookeeper_status.js';
import { readKafkaCluster, zooKeeperController } from '../../src/sdk/kafka-cluster.js';
import { readQuorum } from '../../src/sdk/kafka-quorum.js';
import { KafkaConnection } from '../../src/sdk/kafka-connection.js';
import { shellWithoutForwarding } from '../helpers/fake-broker.js';
import { check, cleanup, context, converge, hostileValues, shell, tempDir, undo, type Converged } from '../helpers/task-harness.js';
import { waitFor } from '../helpers/wait.js';

const root = tempDir('runbook-kafka-loopback-');
const ZK_PORT = 21000 + (process.pid % 1000);
const KAFKA_PORT = ZK_PORT + 1000;
const bootstrap = `127.0.0.1:${KAFKA_PORT}`;
// A one-node KRaft cluster beside it (broker and controller in one process): the quorum looks.
const KRAFT_PORT = KAFKA_PORT + 1000;
const KRAFT_CONTROLLER_PORT = KRAFT_PORT + 1;
const kraftBootstrap = `127.0.0.1:${KRAFT_PORT}`;
// Formatted by kafka_storage with an id that starts with '-', as one a ZooKeeper-mode cluster made
// may (1 in 64): a tool that takes it for an option must not see it apart from its flag.
const KRAFT_CLUSTER_ID = '-nVuYm9vay1sb29wYmFjaw';
let storageFormat: Converged;
// A second ZooKeeper-mode broker, started by the kafka_reassign test.
const KAFKA2_PORT = KAFKA_PORT + 3000;
const home = join(root, 'kafka');
const started: ChildProcess[] = [];
let kafkaCp: string;

function classpath(module: 'kafka' | 'zookeeper'): string {
  const out = join(root, `${module}.cp`);
  const pom = join(process.cwd(), 'src/lab/assets', module, 'pom.xml');
  const args = ['-q', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${out}`];
  try {
    execFileSync('mvn', ['-o', ...args], { stdio: 'ignore' });
  } catch {
    execFileSync('mvn', args, { stdio: 'ignore' });
  }
  return execFileSync('cat', [out]).toString().trim();
}

function start(name: string, cp: string, main: string, config: string): void {
  const log = openSync(join(root, `${name}.log`), 'w');
  const child = spawn('java', ['-Xmx384m', `-Dlog4j.configuration=file:${join(root, 'log4j.properties')}`, '-cp', cp, main, config], { stdio: ['ignore', log, log] });
  started.push(child);
}

async function waitPort(port: number, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`nothing listens on ${port} after ${seconds}s`);
}

test.before(async () => {
  kafkaCp = classpath('kafka');
  // ZooKeeper's runtime jars that its pom leaves out (Apache's tarball ships them in lib/).
  const zkCp = [classpath('zookeeper'), ...kafkaCp.split(':').filter((j) => /snappy-java|dropwizard\/metrics\/metrics-core/.test(j))].join(':');
  writeFileSync(join(root, 'log4j.properties'), 'log4j.rootLogger=WARN, C\nlog4j.appender.C=org.apache.log4j.ConsoleAppender\nlog4j.appender.C.Target=System.err\nlog4j.appender.C.layout=org.apache.log4j.PatternLayout\nlog4j.appender.C.layout.ConversionPattern=%p %m%n\n');
  writeFileSync(join(root, 'zoo.cfg'), `tickTime=2000\ndataDir=${root}/zk\nclientPort=${ZK_PORT}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
  writeFileSync(
    join(root, 'server.properties'),
    `broker.id=1\nlisteners=PLAINTEXT://${bootstrap}\nlog.dirs=${root}/kafka-logs\nzookeeper.connect=127.0.0.1:${ZK_PORT}/runbook-test\noffsets.topic.replication.factor=1\ngroup.initial.rebalance.delay.ms=0\n`,
  );
  writeFileSync(
    join(root, 'kraft.properties'),
    `process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@127.0.0.1:${KRAFT_CONTROLLER_PORT}\nlisteners=PLAINTEXT://${kraftBootstrap},CONTROLLER://127.0.0.1:${KRAFT_CONTROLLER_PORT}\ncontroller.listener.names=CONTROLLER\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\nlog.dirs=${root}/kraft-logs\noffsets.topic.replication.factor=1\nmin.insync.replicas=1\n`,
  );
  mkdirSync(join(home, 'bin'), { recursive: true });
  for (const [script, main] of [['kafka-topics.sh', 'kafka.admin.TopicCommand'], ['kafka-console-producer.sh', 'kafka.tools.ConsoleProducer'], ['kafka-console-consumer.sh', 'kafka.tools.ConsoleConsumer'], ['kafka-storage.sh', 'kafka.tools.StorageTool'], ['kafka-configs.sh', 'kafka.admin.ConfigCommand'], ['kafka-broker-api-versions.sh', 'kafka.admin.BrokerApiVersionsCommand'], ['kafka-reassign-partitions.sh', 'kafka.admin.ReassignPartitionsCommand']]) {
    writeFileSync(join(home, 'bin', script), `#!/bin/sh\nexec java -Xmx256m -Dlog4j.configuration=file:${root}/log4j.properties -cp '${kafkaCp}' ${main} "$@"\n`);
    chmodSync(join(home, 'bin', script), 0o755);
  }
  // As Apache's: the caller's CLASSPATH first (the cluster look's jar), then the libs.
  writeFileSync(join(home, 'bin/kafka-run-class.sh'), `#!/bin/sh\nexec java -Xmx256m -Dlog4j.configuration=file:${root}/log4j.properties -cp "\${CLASSPATH:+$CLASSPATH:}${kafkaCp}" "$@"\n`);
  chmodSync(join(home, 'bin/kafka-run-class.sh'), 0o755);
  storageFormat = await converge(kafkaStorage, { cluster_id: KRAFT_CLUSTER_ID, node_id: 1, dirs: [join(root, 'kraft-logs')], config: join(root, 'kraft.properties'), kafka_home: home });
  start('zookeeper', zkCp, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(root, 'zoo.cfg'));
  await waitPort(ZK_PORT, 60);
  start('kafka', kafkaCp, 'kafka.Kafka', join(root, 'server.properties'));
  start('kraft', kafkaCp, 'kafka.Kafka', join(root, 'kraft.properties'));
  await waitPort(KAFKA_PORT, 120);
  await waitPort(KRAFT_PORT, 120);
});

test.after(async () => {
  for (const child of started.reverse()) {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }
  cleanup();
});

test("kafka_storage: the KRaft node formatted with a cluster id that starts with '-', in sync the second time (the node runs on it: the quorum test below)", async () => {
  assert.not.ok(storageFormat.check.inSync, 'the first run formats');
  assert.match(storageFormat.check.summary ?? '', /would format .*kraft-logs/);
  assert.match(readFileSync(join(root, 'kraft-logs', 'meta.properties'), 'utf8'), new RegExp(`^cluster\\.id=${KRAFT_CLUSTER_ID}$`, 'm'));
  assert.ok((await check(kafkaStorage, { cluster_id: KRAFT_CLUSTER_ID, node_id: 1, dirs: [join(root, 'kraft-logs')], config: join(root, 'kraft.properties'), kafka_home: home })).inSync);
});

test('zookeeper_status: real srvr over bash /dev/tcp; expect_mode fails on a wrong mode; never a change', async () => {
  const r = await check(zookeeperStatus, { port: ZK_PORT, expect_mode: 'standalone' });
  assert.is(r.inSync, true);
  assert.is(r.data!.mode, 'standalone');
  assert.is(r.data!.version, '3.7.1');
  await check(zookeeperStatus, { port: ZK_PORT, expect_mode: ['leader', 'follower'] }).then(
    () => assert.unreachable('standalone is not leader or follower'),
    (e: Error) => assert.match(e.message, /is standalone, expected leader or follower/),
  );
  await check(zookeeperStatus, { port: ZK_PORT + 7 }).then(
    () => assert.unreachable('nothing listens there'),
    (e: Error) => assert.match(e.message, /did not answer srvr/),
  );
});

const topicArgs = { name: 'runbook.smoke', partitions: 3, replication_factor: 1, bootstrap_server: bootstrap, kafka_home: home, require_full_isr: true };

test('kafka_topic: --check predicts, create, second run ok, other shape fails, undo deletes', async () => {
  const dry = await check(kafkaTopic, topicArgs, { checkMode: true });
  assert.is(dry.inSync, false);
  assert.is(dry.summary, 'create topic runbook.smoke (3 partitions, replication factor 1)');
  const run = await converge(kafkaTopic, topicArgs);
  const described = (run.apply as { data: { partitions: Array<{ leader: number; isr: number[] }> } }).data;
  assert.is(described.partitions.length, 3);
  assert.ok(described.partitions.every((p) => p.leader === 1 && p.isr.join() === '1'));
  const again = await check(kafkaTopic, topicArgs);
  assert.is(again.inSync, true);
  assert.is(again.data!.partition_count, 3);
  await check(kafkaTopic, { ...topicArgs, partitions: 5 }).then(
    () => assert.unreachable('a different shape must fail'),
    (e: Error) => assert.match(e.message, /exists with 3 partitions and replication factor 1, not 5 and 1/),
  );
  await check(kafkaTopic, { ...topicArgs, name: 'runbookXsmoke' }).then((r) => assert.is(r.inSync, false, 'the dot in --topic is a regex; the task matches exactly'));
  await undo(kafkaTopic, JSON.parse(JSON.stringify(run.undo)));
  assert.is((await check(kafkaTopic, topicArgs)).data!.exists, false);
});

test('kafka_smoke: all N messages produced arrive at the consumer; skipped in --check', async () => {
  await converge(kafkaTopic, { ...topicArgs, name: 'smoke' });
  const args = { topic: 'smoke', messages: 50, bootstrap_server: bootstrap, consumer_bootstrap_server: bootstrap, consumer_host: 'local', kafka_home: home, timeout: 90 };
  const ctx = context(kafkaSmoke, args);
  const checked = await check(kafkaSmoke, args, { checkMode: true });
  assert.ok(checked.unknowableInCheck);
  const applied = (await kafkaSmoke.apply(ctx, undefined))!;
  assert.is(applied.changed, false);
  assert.is(applied.data!.consumed, 50);
  // A second run has its own token: the 50 old messages do not count for it.
  const second = (await kafkaSmoke.apply(ctx, undefined))!;
  assert.is(second.data!.consumed, 50);
  assert.is.not(second.data!.token, applied.data!.token);
});

const jvmShell = shellWithoutForwarding();

test("the cluster look, over the wire and in the JVM alike: partitions with their ISR and the topic's own min.insync.replicas, the live broker, the controller from ZooKeeper", async () => {
  const topics = (args: string) => execFileSync(join(home, 'bin/kafka-topics.sh'), ['--bootstrap-server', bootstrap, ...args.split(' ')], { stdio: 'ignore' });
  topics('--create --topic runbook.look --partitions 2 --replication-factor 1 --config min.insync.replicas=2');
  try {
    for (const [how, sh] of [['wire', shell], ['jvm', jvmShell]] as const) {
      const cluster = await readKafkaCluster(sh, { bootstrap, kafkaHome: home, config: '../server.properties', controller: true });
      const look = cluster.topics.get('runbook.look')!;
      assert.equal(look.partitions, [0, 1].map((partition) => ({ partition, leader: 1, replicas: [1], isr: [1] })), how);
      assert.is(look.minIsr, 2, how);
      assert.is(cluster.defaultMinIsr, 1, how);
      assert.ok(cluster.partitions.filter((p) => p.topic === 'runbook.look').every((p) => p.minIsr === 2), how);
      assert.ok(cluster.partitions.filter((p) => p.topic !== 'runbook.look').every((p) => p.minIsr === 1), how);
      assert.equal(cluster.alive, [1], how);
      assert.is(cluster.controller, 1, how);
      // Not asked for the controller: none.
      assert.is((await readKafkaCluster(sh, { bootstrap, kafkaHome: home, config: '../server.properties' })).controller, undefined, how);
    }
    // Nothing answering: the reason, in time.
    await readKafkaCluster(shell, { bootstrap: '127.0.0.1:1', kafkaHome: home, config: '../server.properties' }).then(
      () => assert.unreachable('nothing listens there'),
      (e: Error) => assert.match(e.message, /^cannot read the partitions from 127\.0\.0\.1:1: no broker answers \(127\.0\.0\.1:1: .*ECONNREFUSED/),
    );
    await readKafkaCluster(jvmShell, { bootstrap: '127.0.0.1:1', kafkaHome: home, config: '../server.properties', timeout: 5 }).then(
      () => assert.unreachable('nothing listens there'),
      (e: Error) => assert.match(e.message, /^cannot read the partitions from 127\.0\.0\.1:1: no answer in time/),
    );
    // ZooKeeper over the wire: the controller under the chroot; nothing under another; none where nothing listens.
    assert.is(await zooKeeperController(shell, `127.0.0.1:1,127.0.0.1:${ZK_PORT}/runbook-test`, 10_000), 1);
    assert.is(await zooKeeperController(shell, `127.0.0.1:${ZK_PORT}/elsewhere`, 10_000), undefined);
    assert.is(await zooKeeperController(shell, '127.0.0.1:1', 10_000), undefined);
  } finally {
    topics('--delete --topic runbook.look');
  }
});

test("KRaft: the quorum asked of its controller with DescribeQuorum, and the active controller through the broker (which forwards it), over the wire and in the JVM alike", async () => {
  let quorum = await readQuorum(shell, { bootstrapControllers: `127.0.0.1:1,127.0.0.1:${KRAFT_CONTROLLER_PORT}` });
  // A controller elected a moment ago may still be catching its own log end up: wait for lag 0.
  for (const deadline = Date.now() + 60_000; quorum.voters.some((v) => v.lag > 0) && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 200));
    quorum = await readQuorum(shell, { bootstrapControllers: `127.0.0.1:${KRAFT_CONTROLLER_PORT}` });
  }
  assert.equal(quorum, { leader: 1, voters: [{ id: 1, lag: 0, status: 'Leader' }] });
  assert.equal(await readQuorum(shell, { bootstrapControllers: '127.0.0.1:1' }), { voters: [] }, 'no controller answers: no leader');
  for (const [how, sh] of [['wire', shell], ['jvm', jvmShell]] as const) {
    const cluster = await readKafkaCluster(sh, { bootstrap: kraftBootstrap, kafkaHome: home, config: '../kraft.properties', controller: true });
    assert.equal(cluster.alive, [1], how);
    assert.is(cluster.controller, 1, how);
  }
});

test('ApiVersions tells the modes apart: a ZooKeeper-mode broker does not serve DescribeQuorum, a KRaft one does (status asks it only there)', async () => {
  for (const [port, kraft] of [[KAFKA_PORT, false], [KRAFT_PORT, true]] as const) {
    const kafka = new KafkaConnection(await shell.transport.openTcp('127.0.0.1', port), 30_000);
    try {
      assert.is(await kafka.servesQuorum(), kraft, String(port));
    } finally {
      kafka.close();
    }
  }
});

/** Kafka's tool `script` with `args`, its output (and `input` on its stdin). */
const tool = (script: string, args: string[], input?: string) => execFileSync(join(home, 'bin', script), args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'ignore'] });

test('kafka_reassign: half the partitions moved to a second broker under a throttle that keeps them moving; the look over the wire and with the tools agree; resumed, undone', async () => {
  // Broker 2 fetches at most 1 KiB per partition per request: a replication throttle of 1 B/s then
  // holds a move for minutes (unbounded fetches would copy a small partition before the quota bites).
  const config = join(root, 'server2.properties');
  writeFileSync(config, `broker.id=2\nlisteners=PLAINTEXT://127.0.0.1:${KAFKA2_PORT}\nlog.dirs=${root}/kafka2-logs\nzookeeper.connect=127.0.0.1:${ZK_PORT}/runbook-test\noffsets.topic.replication.factor=1\nreplica.fetch.max.bytes=1024\nreplica.fetch.response.max.bytes=1024\n`);
  start('kafka2', kafkaCp, 'kafka.Kafka', config);
  const brokers = `${bootstrap},127.0.0.1:${KAFKA2_PORT}`;
  const q = { bootstrap_server: brokers, kafka_home: home };
  assert.ok(await waitFor(async () => (await readCluster(shell, q).catch(() => undefined))?.alive.join() === '1,2', 120_000, 500), 'broker 2 registered');
  tool('kafka-topics.sh', ['--bootstrap-server', bootstrap, '--create', '--topic', 'moves', '--replica-assignment', '1,1,1,1']);
  // 8000 keyed messages of 100 bytes: every partition holds some 200 KB.
  tool('kafka-console-producer.sh', ['--bootstrap-server', bootstrap, '--topic', 'moves', '--property', 'parse.key=true', '--property', 'key.separator=:'], Array.from({ length: 8000 }, (_, i) => `${i}:${'x'.repeat(100)}`).join('\n') + '\n');
  const before = await readCluster(shell, q);
  const moves = (c: typeof before) => c.placement.filter((p) => p.topic === 'moves');
  assert.equal(moves(before).map((p) => p.replicas), [[1], [1], [1], [1]]);

  // The first run starts the move and gives up waiting: the reassignment goes on in Kafka.
  const args = { brokers: [1, 2], topics: ['moves'], bootstrap_server: brokers, kafka_home: home };
  const ctx = context(kafkaReassign, { ...args, throttle: 1, timeout: 1 });
  const planned = await check(kafkaReassign, { ...args, throttle: 1 });
  assert.match(planned.summary ?? '', /^move 2 partition\(s\) \(2 replica\(s\) copied\) under a 1 B\/s throttle, then remove the throttle$/);
  await kafkaReassign.apply(ctx, planned.observed as never).then(
    () => assert.unreachable('a 1 B/s move cannot finish in a second'),
    (e: Error) => assert.match(e.message, /^Kafka is still moving 2 partition\(s\) after 1 s \(moves-\d, moves-\d\); the reassignment goes on/),
  );

  // Mid-move, both looks see the same cluster: what moves where, and the throttles set.
  const wire = await readCluster(shell, q);
  assert.equal(await readCluster(jvmShell, q), wire);
  assert.is(wire.moving.length, 2);
  for (const m of wire.moving) assert.equal([m.from, m.to], [[1], [2]]);
  assert.equal(wire.throttledBrokers, [1, 2]);
  assert.equal(wire.throttledTopics.get('moves'), ['follower.replication.throttled.replicas', 'leader.replication.throttled.replicas']);
  assert.is((await check(kafkaReassign, args)).summary, 'wait for the 2 partition(s) Kafka is moving, then plan again, remove the replication throttle');

  // The operator lifts the rate; the run again waits for that move, plans nothing more, removes the throttles.
  for (const id of ['1', '2']) {
    tool('kafka-configs.sh', ['--bootstrap-server', bootstrap, '--alter', '--entity-type', 'brokers', '--entity-name', id, '--add-config', 'leader.replication.throttled.rate=1000000000,follower.replication.throttled.rate=1000000000']);
  }
  const resumed = await converge(kafkaReassign, args);
  const after = await readCluster(shell, q);
  assert.equal(moves(after).map((p) => p.replicas).sort(), [[1], [1], [2], [2]]);
  assert.equal([after.moving, after.throttledBrokers, [...after.throttledTopics]], [[], [], []]);

  // Undo puts the moved partitions back on broker 1; with the tools' look, nothing left to do.
  await undo(kafkaReassign, JSON.parse(JSON.stringify(resumed.undo)));
  const back = await readCluster(shell, q);
  assert.equal(moves(back), moves(before));
  assert.equal([back.moving, back.throttledBrokers, [...back.throttledTopics]], [[], [], []]);
  assert.ok((await check(kafkaReassign, { ...args, brokers: [1], remove: [2] }, { shell: jvmShell })).inSync);

  // KRaft: a broker forwards ListPartitionReassignments to its controller; both looks agree there too.
  const kraft = { bootstrap_server: kraftBootstrap, kafka_home: home };
  assert.equal(await readCluster(shell, kraft), await readCluster(jvmShell, kraft));
});

test('hostile values never execute: refused by the schemas or quoted into the scripts', async () => {
  const canary = join(root, 'pwned');
  for (const v of hostileValues(canary)) {
    assert.not.ok(kafkaSmoke.args.safeParse({ topic: v }).success);
    assert.not.ok(kafkaTopic.args.safeParse({ name: v }).success);
    await check(kafkaTopic, { name: 't', kafka_home: `/x${v}`, bootstrap_server: bootstrap }).then(
      () => assert.unreachable('no Kafka there'),
      (e: Error) => assert.match(e.message, /no Kafka install found/),
    );
    await check(zookeeperStatus, { port: ZK_PORT, zookeeper_home: `/x${v}` });
  }
  assert.not.ok(existsSync(canary));
});

test.run();
