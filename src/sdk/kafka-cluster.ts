// What a Kafka cluster looks like from one broker's host: every partition's leader, replicas and
// ISR with its min.insync.replicas, the brokers that answer, and the active controller
// (ZooKeeper's /controller, or on KRaft the quorum's leader). The rolling-restart gate
// (kafka_restart) and `runbook status` read the cluster through here.
//
// The look asks the brokers themselves, with Kafka's protocol (kafka-protocol.ts) and ZooKeeper's
// (zookeeper-protocol.ts), over connections the host's sshd opens (so the addresses are the
// host's, as the tools would see them): a few round trips, no process on the host but the one
// that reads the broker's config. Where the host's sshd forwards nothing (AllowTcpForwarding no),
// a small Admin-client program (src/sdk/java/RunbookClusterLook.java), sent as a jar and run with
// the host's own Kafka libs, looks instead: one JVM per look, where Kafka's tools would need three.

import { sh } from '../shell/quote.js';
import { privateTempDir } from '../shell/temp-dir.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';
import { parseDescribe, partitionStates, type PartitionState, type TopicInfo } from './kafka-health.js';
import { SECTION_FUNCTION, splitSections } from './probe.js';
import { CLUSTER_LOOK_JAR_BASE64 } from './cluster-look-jar.js';
import { KafkaConnection } from './kafka-connection.js';
import type { WireMetadata } from './kafka-protocol.js';
import { readZNode } from './zookeeper-protocol.js';
import { ForwardingRefused } from '../transport/types.js';

export interface KafkaCluster {
  topics: Map<string, TopicInfo>;
  /** Every partition, with the min.insync.replicas that applies to it. */
  partitions: PartitionState[];
  /** The broker's own min.insync.replicas (server.properties, else Kafka's default 1). */
  defaultMinIsr: number;
  /** Broker ids that answer: the brokers the asked broker's metadata lists (as kafka-broker-api-versions.sh shows them). */
  alive: number[];
  /** The active controller's id (ZooKeeper's /controller; on KRaft the quorum leader's node id), when asked and there is one. */
  controller?: number;
  /** KRaft with dedicated controllers (this node is `process.roles=broker`): no broker is ever the active controller. */
  controllersApart?: true;
}

export interface KafkaClusterQuery {
  /** host:port list, comma-joined, as Kafka's tools take it. */
  bootstrap: string;
  kafkaHome?: string;
  /** The broker's config file inside kafkaHome (default config/server.properties; config/server2.properties for an instance). */
  config?: string;
  /** Also read the active controller: ZooKeeper's /controller (through the host's zookeeper.connect), or on KRaft the quorum leader. */
  controller?: boolean;
  /** Seconds a broker may take to answer a request (default 30); the look's JVM, where the host forwards nothing, as long as it takes unless given. */
  timeout?: number;
}

const DEFAULT_TIMEOUT_S = 30;
const MIN_ISR = 'min.insync.replicas';

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` (`[v6]:port`), or a bare host with `defaultPort`. */
export function hostPort(s: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(s);
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!m || port === undefined || port < 1 || port > 65535) throw new TaskError(`${JSON.stringify(s)} is no host:port`);
  return { host: m[1], port };
}

/** A comma-joined bootstrap list (`a:9092,b:9092`) as host and port pairs. */
export function bootstrapPairs(list: string): HostPort[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => hostPort(s));
}

const named = (b: HostPort) => (b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`);

/**
 * `ask`, put to the first broker of `bootstrap` that the host can reach and that answers: a broker
 * being restarted refuses or drops the connection, and the next one is asked. A TaskError naming
 * each broker's failure when none answers; ForwardingRefused when the host's sshd forwards nothing.
 */
export async function askBrokers<T>(shell: HostShell, bootstrap: HostPort[], timeoutMs: number, ask: (kafka: KafkaConnection) => Promise<T>): Promise<T> {
  const failures: string[] = [];
  for (const b of bootstrap) {
    let kafka: KafkaConnection;
    try {
      kafka = new KafkaConnection(await shell.transport.openTcp(b.host, b.port), timeoutMs);
    } catch (e) {
      if (e instanceof ForwardingRefused) throw e;
      failures.push(`${named(b)}: ${(e as Error).message}`);
      continue;
    }
    try {
      return await ask(kafka);
    } catch (e) {
      failures.push(`${named(b)}: ${(e as Error).message}`);
    } finally {
      kafka.close();
    }
  }
  throw new TaskError(`no broker answers (${failures.join('; ') || 'none to ask'})`);
}

/** The topics Metadata lists without an error of their own (a partition's error, such as offline, is kept). */
export const listedTopics = (m: WireMetadata): string[] => m.topics.filter((t) => t.error === 0).map((t) => t.name);

/** The cluster as Metadata and DescribeConfigs answer it; a topic without an answered min.insync.replicas takes `defaultMinIsr`. */
export function clusterOfMetadata(metadata: WireMetadata, configs: Map<string, Map<string, string>>, defaultMinIsr: number): KafkaCluster {
  const topics = new Map<string, TopicInfo>();
  for (const t of metadata.topics.filter((t) => t.error === 0)) {
    const minIsr = Number(configs.get(t.name)?.get(MIN_ISR));
    const partitions = [...t.partitions].sort((a, b) => a.partition - b.partition);
    topics.set(t.name, {
      name: t.name,
      partitionCount: partitions.length,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      ...(Number.isInteger(minIsr) && minIsr > 0 ? { minIsr } : {}),
      partitions: partitions.map((p) => ({ partition: p.partition, leader: p.leader < 0 ? null : p.leader, replicas: p.replicas, isr: p.isr })),
    });
  }
  return {
    topics,
    partitions: partitionStates(topics, defaultMinIsr),
    defaultMinIsr,
    alive: metadata.brokers.map((b) => b.id).sort((a, b) => a - b),
  };
}

/** What the look needs from the broker's config: min.insync.replicas, and how its controller is found. */
interface BrokerConfig {
  defaultMinIsr: number;
  /** apart: a KRaft broker with controllers of its own; quorum: KRaft; zk: ZooKeeper (also while it migrates). */
  mode: 'apart' | 'quorum' | 'zk';
  zookeeperConnect?: string;
}

export function parseBrokerConfig(text: string): BrokerConfig {
  const last = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1]?.trim();
  const roles = last('roles');
  const zk = last('zk');
  return {
    defaultMinIsr: Number(last('minisr') || 1),
    mode: roles === 'broker' ? 'apart' : roles ? 'quorum' : 'zk',
    ...(zk ? { zookeeperConnect: zk } : {}),
  };
}

async function readBrokerConfig(shell: HostShell, q: KafkaClusterQuery): Promise<BrokerConfig> {
  const r = await shell.run(sh`${findKafka(q.kafkaHome)}
sed -n -e 's/^min\.insync\.replicas=/minisr=/p' -e 's/^process\.roles=/roles=/p' -e 's/^zookeeper\.connect=/zk=/p' "$k"/${q.config ?? 'config/server.properties'} 2>/dev/null || true`);
  return parseBrokerConfig(r.stdout);
}

/** ZooKeeper's /controller (under the chroot of `connect`), asked of each server in turn; undefined when none answers or there is none. */
export async function zooKeeperController(shell: HostShell, connect: string, timeoutMs: number): Promise<number | undefined> {
  const slash = connect.indexOf('/');
  const chroot = slash < 0 ? '' : connect.slice(slash).replace(/\/+$/, '');
  const servers = (slash < 0 ? connect : connect.slice(0, slash)).split(',').map((s) => s.trim()).filter(Boolean);
  for (const server of servers) {
    try {
      const zk = hostPort(server, 2181);
      const data = await readZNode(await shell.transport.openTcp(zk.host, zk.port), `${chroot}/controller`, timeoutMs);
      const id = data && /"brokerid":(\d+)/.exec(data.toString('utf8'))?.[1];
      return id === undefined || id === null ? undefined : Number(id);
    } catch {
      // The next server may answer; a ZooKeeper ensemble answers from any member in its quorum.
    }
  }
  return undefined;
}

/** The quorum's leader as a broker's controller reports it (the broker forwards DescribeQuorum); undefined when it cannot tell. */
export async function quorumLeader(kafka: KafkaConnection): Promise<number | undefined> {
  const q = await kafka.quorum().catch(() => undefined);
  return q && q.error === 0 && q.leader >= 0 ? q.leader : undefined;
}

async function lookOverWire(shell: HostShell, q: KafkaClusterQuery, cfg: BrokerConfig): Promise<KafkaCluster> {
  const timeoutMs = (q.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const look = await askBrokers(shell, bootstrapPairs(q.bootstrap), timeoutMs, async (kafka) => {
    const metadata = await kafka.metadata();
    const cluster = clusterOfMetadata(metadata, await kafka.topicConfigs(listedTopics(metadata), [MIN_ISR]), cfg.defaultMinIsr);
    return { cluster, leader: q.controller && cfg.mode === 'quorum' ? await quorumLeader(kafka) : undefined };
  }).catch((e) => {
    if (e instanceof ForwardingRefused) throw e;
    throw new TaskError(`cannot read the partitions from ${q.bootstrap}: ${(e as Error).message}`);
  });
  if (!q.controller) return look.cluster;
  if (cfg.mode === 'apart') return { ...look.cluster, controllersApart: true };
  const controller = cfg.mode === 'quorum' ? look.leader : cfg.zookeeperConnect ? await zooKeeperController(shell, cfg.zookeeperConnect, timeoutMs) : undefined;
  return controller === undefined ? look.cluster : { ...look.cluster, controller };
}

/** The cluster as the brokers answer it; a TaskError when the partitions cannot be read. */
export async function readKafkaCluster(shell: HostShell, q: KafkaClusterQuery): Promise<KafkaCluster> {
  const cfg = await readBrokerConfig(shell, q);
  try {
    return await lookOverWire(shell, q, cfg);
  } catch (e) {
    if (!(e instanceof ForwardingRefused)) throw e;
  }
  return lookWithJvm(shell, q);
}

/** The line of the look's output that says what went wrong (the admin client's log follows it). */
function lookError(out: string, code: string): string {
  if (code === '124') return 'no answer in time';
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error\b/.test(l)) ?? lines.find((l) => /Exception|ERROR/.test(l)) ?? lines.at(-1) ?? `exit ${code}`;
}

/** The cluster as the host's Kafka libs see it, in one JVM: where the host's sshd forwards no connection. */
async function lookWithJvm(shell: HostShell, q: KafkaClusterQuery): Promise<KafkaCluster> {
  const limit = q.timeout ? sh`timeout ${q.timeout} ` : sh``;
  // KRaft (process.roles in server.properties): the quorum's leader is the active controller; a
  // broker-only node never is one, and need not ask (a ZooKeeper broker being moved to KRaft could not answer).
  const mode = q.controller
    ? sh`if grep -q '^process\.roles=broker$' "$cfg" 2>/dev/null; then mode=apart
elif grep -q '^process\.roles=' "$cfg" 2>/dev/null; then mode=quorum
else mode=zk; zc=$(sed -n 's/^zookeeper\.connect=//p' "$cfg" | tail -n 1)
fi`
    : sh`mode=none`;
  const r = await shell.run(sh`${SECTION_FUNCTION}${findKafka(q.kafkaHome)}
b=${q.bootstrap}; cfg="$k"/${q.config ?? 'config/server.properties'}; zc=
${mode}
${privateTempDir('rb_j')}
printf %s ${CLUSTER_LOOK_JAR_BASE64} | base64 -d > "$rb_j/look.jar" || exit 125
rb_section minisr; sed -n 's/^min\.insync\.replicas=//p' "$cfg" 2>/dev/null | tail -n 1
rb_section mode; echo "$mode"
rb_section look
if [ "$mode" = apart ]; then ask=none; else ask=$mode; fi
CLASSPATH="$rb_j/look.jar" ${limit}"$k/bin/kafka-run-class.sh" RunbookClusterLook "$b" "$ask" "$zc" 2>"$rb_j/err"; rc=$?
rb_section look-rc; echo "$rc"
rb_section log; if [ "$rc" != 0 ]; then cat "$rb_j/err"; fi`);
  const sections = splitSections(r.stdout);
  const rc = (sections.get('look-rc') ?? '').trim();
  const look = sections.get('look') ?? '';
  if (rc !== '0') throw new TaskError(`cannot read the partitions from ${q.bootstrap}: ${lookError(`${look}\n${sections.get('log') ?? r.stderr}`, rc)}`);
  const defaultMinIsr = Number((sections.get('minisr') ?? '').trim() || 1);
  const topics = parseDescribe(look);
  const controllerId = /^Controller: (\d+)$/m.exec(look)?.[1];
  return {
    topics,
    partitions: partitionStates(topics, defaultMinIsr),
    defaultMinIsr,
    alive: (/^Alive: ([\d,]*)$/m.exec(look)?.[1] ?? '').split(',').filter(Boolean).map(Number),
    ...((sections.get('mode') ?? '').trim() === 'apart' ? { controllersApart: true } : controllerId ? { controller: Number(controllerId) } : {}),
  };
}
