// A Kafka cluster on lab hosts, watched the way Kafka proves its own upgrades: Kafka's
// VerifiableProducer (acks=all) and VerifiableConsumer on kafka01, logging JSON events; a sampler
// that reads every second, from this machine, the controller's metadata (offline partitions,
// brokers down) and every ZooKeeper member's srvr; and the run's journal, to tell who went last.
// Shared by the day-two proof suites (test/serial/rolling-restart.test.ts, upgrades.test.ts).

import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labSshArgs, type LabInfo } from '../../src/lab/index.js';
import { exec, ROOT, type Result } from './exec.js';
import { RUNS } from './project.js';
import { waitFor } from './wait.js';

export const CLI = join(ROOT, 'dist/cli/main.js');
export const HOSTS = ['kafka01', 'kafka02', 'kafka03'];
export const KAFKA = '/home/kafka/kafka';
export const BOOTSTRAP = HOSTS.map((h) => `${h}:9092`).join(',');

/** The lab the helpers below talk to: set by the suite once it is up. */
let NAME = '';
let lab: LabInfo;
export function useLab(name: string, info: LabInfo): void {
  NAME = name;
  lab = info;
}

/** Samplers still running: a test that failed before stopping its own leaves one behind. */
const samplers = new Set<() => void>();

/** Stops whatever a failed test left running here (call from test.after), so the suite can end. */
export function stopAll(): void {
  for (const stop of samplers) stop();
}

export async function runbook(...args: string[]): Promise<Result> {
  return exec(process.execPath, [CLI, ...args]);
}

export async function onHost(host: string, command: string): Promise<string> {
  const r = await exec('ssh', await labSshArgs(host, [command], NAME));
  assert.is(r.code, 0, `ssh ${host} ${command}: ${r.stderr}`);
  return r.stdout.trim();
}

export const kafkaTool = (tool: string, args: string) => `. /etc/profile.d/java.sh; ${KAFKA}/bin/${tool} ${args}`;

/** How many times each unit has been started on each host, from systemd's journal. */
export async function starts(unit: string): Promise<Record<string, number>> {
  const counts = await Promise.all(HOSTS.map(async (h) => [h, Number(await onHost(h, `journalctl -u ${unit} -o cat --no-pager | grep -c '^Started ' || true`))] as const));
  return Object.fromEntries(counts);
}

export const controllerId = async () => Number(/"brokerid":(\d+)/.exec(await onHost('kafka01', kafkaTool('zookeeper-shell.sh', `kafka01:2181/gcp-kafka-cluster get /controller 2>/dev/null`)))![1]);
export const brokerHost = (id: number) => HOSTS[id - 1];

/**
 * ZooKeeper's `srvr` from this machine: the member's mode, `electing` while the ensemble elects a
 * leader (the answer then says it is not serving), `down` when nothing listens on the port (the
 * process is stopped or still starting), `silent` when the port is open but no answer came in
 * time (a JVM busy collecting garbage on a loaded machine: up, only slow).
 */
export function zkMode(address: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 2181, timeout: 3000 });
    let out = '';
    let refused = false;
    socket.on('connect', () => socket.write('srvr'));
    socket.on('data', (b) => (out += b));
    socket.on('error', (e: NodeJS.ErrnoException) => (refused = e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET'));
    socket.on('timeout', () => socket.destroy());
    socket.on('close', () =>
      resolve(refused ? 'down' : /not currently serving requests/.test(out) ? 'electing' : (/^Mode: (\w+)/m.exec(out)?.[1] ?? 'silent')),
    );
  });
}

export interface Sample {
  /** Seconds since sampling started. */
  t: number;
  /** Each ZooKeeper member's mode (see zkMode), in host order. */
  modes: string;
  /** Partitions no answering broker knows a live leader for, as `topic-partition` (see sampler). */
  offline: string[];
  /** When some broker's view had partitions without a leader: each host's count (`-`: no answer), to tell one broker's stale view from the cluster's. */
  views?: string;
  brokersDown: number;
  membersDown: number;
}

type Metadata = { controllerid: number; brokers: Array<{ id: number }>; topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }> }> };

/** One broker's metadata, asked by address (kcat from this machine), or undefined when it does not answer. */
async function metadata(address: string): Promise<Metadata | undefined> {
  const r = await exec('kcat', ['-L', '-J', '-m', '2', '-b', `${address}:9092`]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Metadata) : undefined;
}

/**
 * Samples the cluster every second until stopped. A partition is offline when no broker that
 * answers names a live leader for it: a broker's metadata lags the controller's decisions by a
 * moment, and during a move between ZooKeeper and KRaft no broker's view is the controller's
 * (KRaft brokers name a random broker as controller). Once, mid-rollback of a migration under a
 * heavy load, the one view taken then reported two thirds of the partitions leaderless for a single
 * sample, the clients unharmed; `views` now says which broker saw what. Brokers down are those the
 * controller's view (else the view that knows the most brokers) does not list; members down those
 * not answering srvr at all.
 */
export function sampler(): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  let running = true;
  // Brokers are asked on every lab host (a fourth broker may be the controller); ZooKeeper only on
  // HOSTS, its members. Brokers down are those of HOSTS, which must stay up: a broker being added
  // or removed may come and go.
  const addresses = lab.hosts.map((h) => h.address);
  const members = lab.hosts.filter((h) => HOSTS.includes(h.name)).map((h) => h.address);
  const t0 = Date.now();
  const halt = () => (running = false);
  samplers.add(halt);
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const [answers, modes] = await Promise.all([Promise.all(addresses.map(metadata)), Promise.all(members.map(zkMode))]);
      const controllerId = answers.find((m) => m && m.controllerid >= 0)?.controllerid;
      // On KRaft (and during the move to it) the active controller is no broker: the broker that
      // knows the most brokers speaks for the cluster then.
      const fullest = answers.reduce<Metadata | undefined>((best, m) => (m && (!best || m.brokers.length > best.brokers.length) ? m : best), undefined);
      const controller = controllerId !== undefined && controllerId <= answers.length ? answers[controllerId - 1] : fullest;
      if (controller) {
        const leaderless = answers.map((m) => m && m.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.topic}-${p.partition}`)));
        const led = new Set(answers.flatMap((m) => m?.topics.flatMap((t) => t.partitions.filter((p) => p.leader >= 0).map((p) => `${t.topic}-${p.partition}`)) ?? []));
        const anyLeaderless = leaderless.some((l) => l && l.length > 0);
        samples.push({
          t: Math.round((started - t0) / 1000),
          modes: modes.join(' '),
          offline: [...new Set(leaderless.flatMap((l) => l ?? []))].filter((p) => !led.has(p)),
          ...(anyLeaderless ? { views: lab.hosts.map((h, i) => `${h.name}:${leaderless[i]?.length ?? '-'}`).join(' ') } : {}),
          brokersDown: HOSTS.filter((_, i) => !controller.brokers.some((b) => b.id === i + 1)).length,
          // Down: nothing listens. A member that answers while an election runs is up (a leader's
          // restart makes the others elect a new one: a second or two without a leader).
          membersDown: modes.filter((mode) => mode === 'down').length,
        });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      halt();
      samplers.delete(halt);
      await loop;
      return samples;
    },
  };
}

/**
 * VerifiableProducer (acks=all) and VerifiableConsumer on kafka01, logging JSON events to files.
 * Ten messages a second: a steady flow through every step of an operation (hundreds acknowledged,
 * a stall shows as a gap). At 50 a second the three brokers took 70% of a core between them on
 * this two-core machine, against 17% at ten and 10% with no clients (measured on a lab cluster):
 * the lab suites' largest cost.
 */
export async function startClients(tag: string): Promise<void> {
  const run = (cls: string, args: string, log: string) =>
    `setsid nohup sh -c '. /etc/profile.d/java.sh; KAFKA_HEAP_OPTS=-Xmx256m exec ${KAFKA}/bin/kafka-run-class.sh org.apache.kafka.tools.${cls} ${args}' > /root/${log}.log 2> /root/${log}.err < /dev/null & echo $! > /root/${log}.pid`;
  await onHost('kafka01', run('VerifiableConsumer', `--topic roll --group-id roll-${tag} --bootstrap-server ${BOOTSTRAP} --reset-policy earliest --verbose`, `consumer-${tag}`));
  await onHost('kafka01', run('VerifiableProducer', `--topic roll --bootstrap-server ${BOOTSTRAP} --acks -1 --throughput 10 --max-messages -1`, `producer-${tag}`));
  // Both are working: the producer has had messages acknowledged and the consumer has read some.
  assert.ok(await waitFor(async () => (await acked(tag)).values.size > 20 && (await consumed(tag)).size > 0, 120_000), 'the clients started');
}

type Event = { name: string; value?: string; timestamp?: number };

async function events(log: string): Promise<Event[]> {
  const text = await onHost('kafka01', `cat /root/${log}.log`);
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
}

/** The acknowledged values, and the longest time without an acknowledgement (ms since the epoch, from and to). */
async function acked(tag: string): Promise<{ values: Set<string>; longestGap: { from: number; to: number } }> {
  const ok = (await events(`producer-${tag}`)).filter((e) => e.name === 'producer_send_success');
  let longestGap = { from: 0, to: 0 };
  for (let i = 1; i < ok.length; i++) {
    if (ok[i].timestamp! - ok[i - 1].timestamp! > longestGap.to - longestGap.from) longestGap = { from: ok[i - 1].timestamp!, to: ok[i].timestamp! };
  }
  return { values: new Set(ok.map((e) => e.value!)), longestGap };
}

/** Acknowledgements may stall this long (ms) while a broker hands its leaderships over. */
const STALL_LIMIT_MS = 15_000;

/**
 * What happened during a stall, to tell its cause without the lab (gone once the suite ends): the
 * steps runbook was in (every journal's host events in the window) and what each broker and
 * controller logged then about shutdowns, leaders, ISRs and sessions.
 */
async function explainStall(gap: { from: number; to: number }): Promise<string> {
  const from = gap.from - 20_000;
  const to = gap.to + 5_000;
  const journal: string[] = [];
  for (const run of (await readdir(RUNS)).sort().slice(-3)) {
    const text = await readFile(join(RUNS, run, 'journal.jsonl'), 'utf8').catch(() => '');
    for (const line of text.split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as Partial<HostResult> & { message?: string };
      if (!['host-start', 'host-result', 'undo-result'].includes(e.type!) || e.at! < from || e.at! > to) continue;
      const said = e.summary ?? e.message;
      journal.push(`${new Date(e.at!).toISOString()} ${e.host} ${e.type === 'host-start' ? 'start' : e.type === 'undo-result' ? `undo ${e.status}` : e.status} ${e.stepName}${said ? `: ${said.slice(0, 160)}` : ''}`);
    }
  }
  // Kafka's log4j stamps local time, which is UTC on the lab hosts: `[YYYY-MM-DD HH:MM:SS,mmm]`.
  const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
  const logs = await Promise.all(
    lab.hosts.map(async (h) => {
      const lines = await onHost(
        h.name,
        `for f in /home/kafka/kafka_*/logs/server.log /home/kafka/kafka_*/logs/controller.log /home/kafka/kafka_*/logs/kafka*/server.log; do [ -f "$f" ] && awk -v a='${stamp(from)}' -v b='${stamp(to)}' -v f="$f" 'substr($0,2,19)>=a && substr($0,2,19)<=b && /[Cc]ontrolled shutdown|[Uu]nclean|Aborted|KafkaServer id=[0-9]+\] (shutting down|started)|[Ss]ession expired|[Ff]enced|[Rr]esign|[Ee]lected|NOT_LEADER|[Ss]tale/ {print f": "$0}' "$f" | cut -c1-300 | tail -n 15; done || true`,
      ).catch((e: Error) => `(no log: ${e.message})`);
      return `--- ${h.name}\n${lines}`;
    }),
  );
  return `no acknowledgement from ${new Date(gap.from).toISOString()} to ${new Date(gap.to).toISOString()}\nrunbook then:\n${journal.join('\n')}\nthe brokers' logs then:\n${logs.join('\n')}`;
}

async function consumed(tag: string): Promise<Set<string>> {
  return new Set((await events(`consumer-${tag}`)).filter((e) => e.name === 'record_data').map((e) => e.value!));
}

/** Stops the producer, waits until the consumer has read every acknowledged message, stops it. */
export async function stopClients(tag: string): Promise<{ acked: number; lost: string[]; longestGapMs: number; stall?: string }> {
  await onHost('kafka01', `kill $(cat /root/producer-${tag}.pid)`);
  await waitFor(async () => (await events(`producer-${tag}`)).some((e) => e.name === 'shutdown_complete'), 60_000);
  const sent = await acked(tag);
  let lost: string[] = [];
  await waitFor(async () => {
    const read = await consumed(tag);
    lost = [...sent.values].filter((v) => !read.has(v));
    return lost.length === 0;
  }, 120_000, 1000);
  await onHost('kafka01', `kill $(cat /root/consumer-${tag}.pid) || true`);
  const longestGapMs = sent.longestGap.to - sent.longestGap.from;
  return { acked: sent.values.size, lost, longestGapMs, ...(longestGapMs >= STALL_LIMIT_MS ? { stall: await explainStall(sent.longestGap) } : {}) };
}

export type HostResult = { type: string; host: string; stepName: string; status: string; summary?: string; at: number };

/** The host results of the newest run in the journal, in the order they happened. */
export async function lastRunResults(): Promise<HostResult[]> {
  const runs = (await readdir(RUNS)).sort();
  const text = await readFile(join(RUNS, runs.at(-1)!, 'journal.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as HostResult).filter((r) => r.type === 'host-result');
}

/**
 * The member the first step left because it was the leader (controller) at its turn is the one the
 * second step restarted, after every other: read live, restarted last.
 */
export function wentLast(results: HostResult[], skipStep: string, lastStep: string, skipped: RegExp): void {
  const left = results.filter((r) => r.stepName === skipStep && skipped.test(r.summary ?? ''));
  assert.is(left.length, 1, `one host left for last by "${skipStep}": ${JSON.stringify(results.filter((r) => r.stepName === skipStep))}`);
  const restarted = results.filter((r) => (r.stepName === skipStep || r.stepName === lastStep) && r.status === 'changed');
  assert.is(restarted.length, 3, JSON.stringify(restarted));
  assert.equal(restarted.at(-1), results.find((r) => r.stepName === lastStep && r.host === left[0].host && r.status === 'changed'));
}

/**
 * What the clients and the samples must show of any day-two operation: every acknowledged
 * message consumed, acknowledgements never stalled for long, no partition offline, at most one
 * broker and one ZooKeeper member down at any moment. The samples around a failure are printed.
 */
export function assertCalm(result: { acked: number; lost: string[]; longestGapMs: number; stall?: string }, seen: Sample[], options: { zookeeperRetired?: boolean } = {}): void {
  assert.equal(result.lost, [], `${result.lost.length} of ${result.acked} acknowledged messages were never consumed`);
  assert.ok(result.acked > 100, `messages flowed through the operation (${result.acked})`);
  assert.ok(result.longestGapMs < STALL_LIMIT_MS, `no acknowledgement for ${result.longestGapMs} ms: ${result.stall}`);
  assert.ok(seen.length > 10, `sampled through the operation (${seen.length} samples)`);
  const around = (bad: Sample[]) => seen.filter((s) => bad.some((b) => Math.abs(b.t - s.t) <= 5)).map((s) => JSON.stringify(s)).join('\n');
  const offline = seen.filter((s) => s.offline.length > 0);
  assert.equal(offline, [], `a partition was offline; the samples around it:\n${around(offline)}`);
  const twoBrokers = seen.filter((s) => s.brokersDown > 1);
  assert.equal(twoBrokers, [], `two brokers were down at once; the samples around it:\n${around(twoBrokers)}`);
  // A migration to KRaft ends by stopping ZooKeeper for good: its members are not counted then.
  const twoMembers = options.zookeeperRetired ? [] : seen.filter((s) => s.membersDown > 1);
  assert.equal(twoMembers, [], `two ZooKeeper members were down at once; the samples around it:\n${around(twoMembers)}`);
}
