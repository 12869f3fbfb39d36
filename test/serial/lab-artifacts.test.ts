// The tarballs the lab's artifact mirror serves really run: ZooKeeper and a Kafka broker started
// from them on this machine (loopback ports, temp dirs) with Apache's script arguments, a topic
// created, messages produced and consumed, everything stopped again. Needs java on the controller.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARTIFACTS, ensureArtifacts, sha512Of } from '../../src/lab/artifacts.js';
import { ARTIFACTS_DIR } from '../../src/lab/paths.js';

let dir: string;
let zk: string;
let kafka: string;
let zkPort: number;
let kafkaPort: number;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: dir, env: { ...process.env, ...options.env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe first: not an error here.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

async function ok(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, options);
  assert.is(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms`);
    await sleep(250);
  }
}

const smallHeap = { KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m', ZK_SERVER_HEAP: '256' };

test.before(async () => {
  await ensureArtifacts(() => {});
  dir = await mkdtemp(join(tmpdir(), 'lab-artifacts-'));
  for (const a of ARTIFACTS) await ok('tar', ['-xzf', join(ARTIFACTS_DIR, a.path), '-C', dir]);
  zk = join(dir, 'apache-zookeeper-3.7.1-bin');
  kafka = join(dir, 'kafka_2.13-3.5.1');
  [zkPort, kafkaPort] = [await freePort(), await freePort()];
});

test.after(async () => {
  // Not kafka-server-stop.sh: like Apache's, it stops every broker this machine can see, and lab
  // hosts' brokers are visible from here.
  const broker = `kafka\\.Kafka ${kafka}/`;
  // The broker we started is the one whose command line names our temp dir.
  for (const pid of (await run('pgrep', ['-f', broker])).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
  for (let i = 0; i < 60 && (await run('pgrep', ['-f', broker])).code === 0; i++) await sleep(500);
  await run(join(zk, 'bin/zkServer.sh'), ['stop']);
  await rm(dir, { recursive: true, force: true });
});

test('each tarball has its sha512 beside it in Apache\'s format and the official layout', async () => {
  for (const a of ARTIFACTS) {
    const tarball = join(ARTIFACTS_DIR, a.path);
    const line = await readFile(`${tarball}.sha512`, 'utf8');
    assert.is(line, `${await sha512Of(tarball)}  ${a.path.split('/').pop()}\n`);
  }
  const zkList = await ok('tar', ['-tzf', join(ARTIFACTS_DIR, ARTIFACTS[0].path)]);
  for (const f of ['bin/zkServer.sh', 'bin/zkCli.sh', 'conf/zoo_sample.cfg', 'lib/zookeeper-3.7.1.jar']) assert.ok(zkList.includes(`apache-zookeeper-3.7.1-bin/${f}`), f);
  const kList = await ok('tar', ['-tzf', join(ARTIFACTS_DIR, ARTIFACTS[1].path)]);
  for (const f of ['bin/kafka-server-start.sh', 'bin/kafka-topics.sh', 'config/server.properties', 'libs/kafka_2.13-3.5.1.jar']) assert.ok(kList.includes(`kafka_2.13-3.5.1/${f}`), f);
});

test('every Kafka release\'s tool scripts name classes its own jars hold (3.9 moved tools to kafka-tools)', async () => {
  for (const a of ARTIFACTS.filter((x) => x.path.startsWith('kafka/'))) {
    const home = join(dir, a.top);
    const classes = new Set<string>();
    for (const jar of await readdir(join(home, 'libs'))) {
      for (const entry of (await ok('unzip', ['-Z1', join(home, 'libs', jar)])).split('\n')) {
        if (entry.endsWith('.class')) classes.add(entry.slice(0, -'.class'.length).replaceAll('/', '.'));
      }
    }
    for (const script of await readdir(join(home, 'bin'))) {
      const named = /kafka-run-class\.sh"? (?:\$EXTRA_ARGS )?([A-Za-z0-9_.]+)/.exec(await readFile(join(home, 'bin', script), 'utf8'))?.[1];
      if (named) assert.ok(classes.has(named), `${a.top}/bin/${script} runs ${named}, which no jar in libs/ holds`);
    }
    assert.ok(classes.has('org.apache.kafka.tools.VerifiableProducer'), `${a.top}: kafka-tools is there`);
  }
});

test('zkServer.sh start / status / zkCli.sh, as in Apache\'s tarball', async () => {
  await writeFile(
    join(zk, 'conf/zoo.cfg'),
    `tickTime=2000\ndataDir=${dir}/zookeeper\nclientPort=${zkPort}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`,
  );
  await ok(join(zk, 'bin/zkServer.sh'), ['start'], { env: smallHeap });
  assert.ok((await readFile(join(dir, 'zookeeper/zookeeper_server.pid'), 'utf8')).match(/^\d+$/));
  await waitPort(zkPort, 120_000);
  assert.is((await ok(join(zk, 'bin/zkServer.sh'), ['status'])).trim(), 'Mode: standalone');
  assert.match(await ok(join(zk, 'bin/zkCli.sh'), ['-server', `127.0.0.1:${zkPort}`, 'ls', '/']), '[zookeeper]');
});

test('kafka-server-start.sh -daemon, a topic, produce and consume', async () => {
  const props = (await readFile(join(kafka, 'config/server.properties'), 'utf8'))
    .replace(/^log\.dirs=.*$/m, `log.dirs=${dir}/kafka-logs`)
    .replace(/^zookeeper\.connect=.*$/m, `zookeeper.connect=127.0.0.1:${zkPort}/kafka`)
    .replace(/^#listeners=.*$/m, `listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`);
  await writeFile(join(kafka, 'config/test.properties'), props);
  await ok(join(kafka, 'bin/kafka-server-start.sh'), ['-daemon', join(kafka, 'config/test.properties')], { env: smallHeap });
  await waitPort(kafkaPort, 180_000);
  const bootstrap = `127.0.0.1:${kafkaPort}`;
  await ok(join(kafka, 'bin/kafka-topics.sh'), ['--bootstrap-server', bootstrap, '--create', '--topic', 'smoke', '--partitions', '3', '--replication-factor', '1']);
  assert.match(await ok(join(kafka, 'bin/kafka-topics.sh'), ['--bootstrap-server', bootstrap, '--describe', '--topic', 'smoke']), 'PartitionCount: 3');
  const messages = ['one', 'two', 'three'].map((m) => `${m}-${process.pid}`);
  await ok(join(kafka, 'bin/kafka-console-producer.sh'), ['--bootstrap-server', bootstrap, '--topic', 'smoke'], { input: messages.join('\n') + '\n' });
  const consumed = await ok(join(kafka, 'bin/kafka-console-consumer.sh'), [
    '--bootstrap-server', bootstrap, '--topic', 'smoke', '--from-beginning', '--max-messages', '3', '--timeout-ms', '30000',
  ]);
  assert.equal(consumed.trim().split('\n').sort(), [...messages].sort());
  assert.match(await ok(join(kafka, 'bin/kafka-broker-api-versions.sh'), ['--bootstrap-server', bootstrap]), `${bootstrap} (id: 0`);
  assert.match(await ok(join(kafka, 'bin/zookeeper-shell.sh'), [`127.0.0.1:${zkPort}`, 'ls', '/kafka/brokers/ids']), '[0]');
});

test.run();
