// The partitions for `runbook status`, from one broker asked through a broker host's SSH
// connection with Kafka's own protocol (kafka-protocol.ts), or with that host's Kafka tools where
// its sshd forwards nothing.

import type { ReachedHost } from '../cli/reach.js';
import { CommandError, type HostShell } from '../transport/host.js';
import { ForwardingRefused } from '../transport/ssh.js';
import { TaskError } from '../errors.js';
import { readKafkaCluster, type KafkaCluster } from '../sdk/kafka-cluster.js';
import { partitionStates, type TopicInfo } from '../sdk/kafka-health.js';
import { KafkaConnection, type WireMetadata } from './kafka-protocol.js';
import type { ClusterRead } from './assess.js';
import { instanceOf, rootShell, serviceUser } from './roles.js';

/** Seconds a broker, or a Kafka tool, may take to answer a status: an answer later than that is a problem in itself. */
const ANSWER_TIMEOUT_S = 10;

export interface Bootstrap {
  host: string;
  port: number;
}

/**
 * Seconds DescribeConfigs may take. A broker answers Metadata from its cache but DescribeConfigs
 * only through ZooKeeper (or the quorum): without them the partitions are still shown, min ISR
 * unknown, instead of nothing after the full limit.
 */
const CONFIGS_TIMEOUT_S = 3;

/** The cluster as Kafka's Metadata and DescribeConfigs answer it, asked through the host's SSH connection. */
async function readOverWire(shell: HostShell, bootstrap: Bootstrap[]): Promise<{ cluster: KafkaCluster; warning?: string }> {
  let refused: Error | undefined;
  for (const b of bootstrap) {
    let socket;
    try {
      socket = await shell.transport.openTcp(b.host, b.port);
    } catch (e) {
      if (e instanceof ForwardingRefused) throw e;
      refused = e as Error;
      continue;
    }
    const kafka = new KafkaConnection(socket, ANSWER_TIMEOUT_S * 1000);
    try {
      const metadata = await kafka.metadata();
      const names = metadata.topics.filter((t) => t.error === 0).map((t) => t.name);
      try {
        return { cluster: clusterOf(metadata, await kafka.topicConfigs(names, ['min.insync.replicas'], CONFIGS_TIMEOUT_S * 1000)) };
      } catch (e) {
        return { cluster: clusterOf(metadata, new Map()), warning: `min.insync.replicas could not be read (${(e as Error).message}): partitions under it are counted as if it were 1` };
      }
    } catch (e) {
      throw new TaskError(`cannot read the partitions from ${b.host}:${b.port}: ${(e as Error).message}`);
    } finally {
      kafka.close();
    }
  }
  throw new TaskError(`no broker accepts connections (${bootstrap.map((b) => `${b.host}:${b.port}`).join(', ')}): ${refused?.message ?? 'none to ask'}`);
}

function clusterOf(metadata: WireMetadata, configs: Map<string, Map<string, string>>): KafkaCluster {
  const topics = new Map<string, TopicInfo>();
  for (const t of metadata.topics.filter((t) => t.error === 0)) {
    const minIsr = Number(configs.get(t.name)?.get('min.insync.replicas'));
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
    partitions: partitionStates(topics, 1),
    defaultMinIsr: 1,
    alive: metadata.brokers.map((b) => b.id).sort((a, b) => a - b),
    ...(metadata.controller >= 0 ? { controller: metadata.controller } : {}),
  };
}

/**
 * The partitions, asked through the first reached broker host: over its SSH connection with
 * Kafka's protocol, or with its Kafka tools where its sshd forwards nothing. The next host is tried
 * only when the first could not ask at all (tools missing, host gone): a cluster that does not
 * answer one host would not answer the next either.
 */
export async function readPartitions(candidates: ReachedHost[], bootstrap: Bootstrap[], after?: Promise<unknown>): Promise<ClusterRead> {
  let error = 'no broker host was reached';
  for (const [i, h] of candidates.entries()) {
    // The first host is asked at once; the others only if it fails, once the probes are in.
    if (i === 1 && after) await after;
    const shell = rootShell(h);
    try {
      return { from: h.name, ...(await readOverWire(shell, bootstrap)) };
    } catch (e) {
      if (!(e instanceof ForwardingRefused)) return { from: h.name, error: (e as Error).message };
    }
    // Where sshd forwards nothing, the host's own Kafka tools are asked instead.
    try {
      const list = bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
      return { from: h.name, cluster: await readKafkaCluster(shell, { bootstrap: list, kafkaHome: `/home/${serviceUser(h.vars)}/kafka${instanceOf(h.vars)}`, config: `config/server${instanceOf(h.vars)}.properties`, controller: true, toolTimeout: ANSWER_TIMEOUT_S * 2 }) };
    } catch (e) {
      if (e instanceof TaskError && !(e instanceof CommandError)) return { from: h.name, error: e.message };
      error = `${h.name}: ${(e as Error).message}`;
    }
  }
  return { error };
}

