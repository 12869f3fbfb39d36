// The partitions for `runbook status`, from one broker asked through a broker host's SSH
// connection with Kafka's own protocol (sdk/kafka-protocol.ts), or with that host's Kafka tools where
// its sshd forwards nothing.

import type { ReachedHost } from '../cli/reach.js';
import { CommandError, type HostShell } from '../transport/host.js';
import { ForwardingRefused } from '../transport/types.js';
import { TaskError } from '../errors.js';
import { askBrokers, clusterOfMetadata, listedTopics, quorumLeader, readKafkaCluster, type HostPort, type KafkaCluster } from '../sdk/kafka-cluster.js';
import type { KafkaConnection } from '../sdk/kafka-connection.js';
import type { WireMetadata } from '../sdk/kafka-protocol.js';
import type { ClusterRead } from './assess.js';
import { instanceOf, rootShell, serviceUser } from './roles.js';

/** Seconds a broker, or a Kafka tool, may take to answer a status: an answer later than that is a problem in itself. */
const ANSWER_TIMEOUT_S = 10;

/**
 * Seconds DescribeConfigs may take. A broker answers Metadata from its cache but DescribeConfigs
 * only through ZooKeeper (or the quorum): without them the partitions are still shown, min ISR
 * unknown, instead of nothing after the full limit.
 */
const CONFIGS_TIMEOUT_S = 3;

/** The cluster as Kafka's Metadata and DescribeConfigs answer it, asked through the host's SSH connection. */
function readOverWire(shell: HostShell, bootstrap: HostPort[]): Promise<{ cluster: KafkaCluster; warning?: string }> {
  return askBrokers(shell, bootstrap, ANSWER_TIMEOUT_S * 1000, async (kafka) => {
    const metadata = await kafka.metadata();
    const controller = await activeController(kafka, metadata);
    const withController = (c: KafkaCluster): KafkaCluster => (controller === undefined ? c : { ...c, controller });
    try {
      return { cluster: withController(clusterOfMetadata(metadata, await kafka.topicConfigs(listedTopics(metadata), ['min.insync.replicas'], CONFIGS_TIMEOUT_S * 1000), 1)) };
    } catch (e) {
      return { cluster: withController(clusterOfMetadata(metadata, new Map(), 1)), warning: `min.insync.replicas could not be read (${(e as Error).message}): partitions under it are counted as if it were 1` };
    }
  });
}

/**
 * The active controller: Metadata's on ZooKeeper; on KRaft (the broker serves DescribeQuorum, which
 * a ZooKeeper-mode broker does not list, and would log as an error) the quorum's leader, since
 * KRaft's Metadata names a random live broker there. Undefined when the broker cannot tell.
 */
async function activeController(kafka: KafkaConnection, metadata: WireMetadata): Promise<number | undefined> {
  if (!(await kafka.servesQuorum().catch(() => false))) return metadata.controller >= 0 ? metadata.controller : undefined;
  return quorumLeader(kafka);
}

/**
 * The partitions, asked through the first reached broker host: over its SSH connection with
 * Kafka's protocol, or with its Kafka tools where its sshd forwards nothing. The next host is tried
 * only when the first could not ask at all (tools missing, host gone): a cluster that does not
 * answer one host would not answer the next either.
 */
export async function readPartitions(candidates: ReachedHost[], bootstrap: HostPort[], after?: Promise<unknown>): Promise<ClusterRead> {
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
      return { from: h.name, cluster: await readKafkaCluster(shell, { bootstrap: list, kafkaHome: `/home/${serviceUser(h.vars)}/kafka${instanceOf(h.vars)}`, config: `config/server${instanceOf(h.vars)}.properties`, controller: true, timeout: ANSWER_TIMEOUT_S * 2 }) };
    } catch (e) {
      if (e instanceof TaskError && !(e instanceof CommandError)) return { from: h.name, error: e.message };
      error = `${h.name}: ${(e as Error).message}`;
    }
  }
  return { error };
}

