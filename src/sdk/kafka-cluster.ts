// What a Kafka cluster looks like from one broker's host, asked with Kafka's own tools in one
// round trip: every partition's leader, replicas and ISR, the brokers that answer, and the active
// controller (ZooKeeper's /controller, or on KRaft the quorum's leader). The rolling-restart gate (kafka_restart) and
// `runbook status` read the cluster through this one function.

import { sh } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';
import { parseDescribe, partitionStates, type PartitionState, type TopicInfo } from './kafka-health.js';
import { concurrentSections, SECTION_FUNCTION, splitSections } from './probe.js';

export interface KafkaCluster {
  topics: Map<string, TopicInfo>;
  /** Every partition, with the min.insync.replicas that applies to it. */
  partitions: PartitionState[];
  /** The broker's own min.insync.replicas (server.properties, else Kafka's default 1). */
  defaultMinIsr: number;
  /** Broker ids that answer (kafka-broker-api-versions.sh). */
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
  /** Seconds each tool may take (a cluster without ZooKeeper leaves kafka-topics.sh waiting a minute); none: as long as it takes. */
  toolTimeout?: number;
}

/** The line of a Kafka tool's output that says what went wrong (its log lines follow it). */
function toolError(out: string, code: string): string {
  if (code === '124') return 'no answer in time';
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error\b/.test(l)) ?? lines.find((l) => /Exception|ERROR/.test(l)) ?? lines.at(-1) ?? `exit ${code}`;
}

/** The cluster as the host's Kafka tools see it; a TaskError when the partitions cannot be read. */
export async function readKafkaCluster(shell: HostShell, q: KafkaClusterQuery): Promise<KafkaCluster> {
  const limit = q.toolTimeout ? sh`timeout ${q.toolTimeout} ` : sh``;
  // KRaft (process.roles in server.properties): the quorum's leader is the active controller; a
  // broker-only node never is one, and need not ask (a ZooKeeper broker being moved to KRaft could not answer).
  const controller = sh`if grep -q '^process\\.roles=broker$' "$cfg" 2>/dev/null; then
  echo apart
elif grep -q '^process\\.roles=' "$cfg" 2>/dev/null; then
  ${limit}"$k/bin/kafka-metadata-quorum.sh" --bootstrap-server "$b" describe --status 2>/dev/null | sed -n 's/^LeaderId:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p'
else
  zc=$(sed -n 's/^zookeeper\\.connect=//p' "$cfg" | tail -n 1)
  ${limit}"$k/bin/zookeeper-shell.sh" "$zc" get /controller 2>/dev/null | sed -n 's/.*"brokerid":\\([0-9]*\\).*/\\1/p'
fi`;
  const r = await shell.run(sh`${SECTION_FUNCTION}${findKafka(q.kafkaHome)}
b=${q.bootstrap}; cfg="$k"/${q.config ?? 'config/server.properties'}
${concurrentSections([
  ['minisr', sh`sed -n 's/^min\\.insync\\.replicas=//p' "$cfg" 2>/dev/null | tail -n 1`],
  ['describe', sh`${limit}"$k/bin/kafka-topics.sh" --bootstrap-server "$b" --describe 2>&1; rc=$?; rb_section describe-rc; echo "$rc"`],
  ['alive', sh`${limit}"$k/bin/kafka-broker-api-versions.sh" --bootstrap-server "$b" 2>/dev/null | sed -n 's/.* (id: \\([0-9]*\\) rack: .*/\\1/p'`],
  ...(q.controller ? [['controller', controller] as const] : []),
])}`);
  const sections = splitSections(r.stdout);
  const rc = (sections.get('describe-rc') ?? '').trim();
  if (rc !== '0') throw new TaskError(`cannot read the partitions from ${q.bootstrap}: ${toolError(sections.get('describe') ?? r.stderr, rc)}`);
  const defaultMinIsr = Number((sections.get('minisr') ?? '').trim() || 1);
  const topics = parseDescribe(sections.get('describe') ?? '');
  const controllerId = (sections.get('controller') ?? '').trim();
  return {
    topics,
    partitions: partitionStates(topics, defaultMinIsr),
    defaultMinIsr,
    alive: (sections.get('alive') ?? '').split('\n').filter(Boolean).map(Number),
    ...(controllerId === 'apart' ? { controllersApart: true } : controllerId ? { controller: Number(controllerId) } : {}),
  };
}
