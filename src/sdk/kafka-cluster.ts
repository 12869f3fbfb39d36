// What a Kafka cluster looks like from one broker's host, in one round trip and one JVM: every
// partition's leader, replicas and ISR, the brokers that answer, and the active controller
// (ZooKeeper's /controller, or on KRaft the quorum's leader). The rolling-restart gate
// (kafka_restart) and `runbook status` read the cluster through this one function.
//
// The look is a small Admin-client program (src/sdk/java/RunbookClusterLook.java) sent to the
// host as a jar and run with the host's own Kafka libs. Kafka's tools would need three JVMs per
// look (kafka-topics.sh, kafka-broker-api-versions.sh, zookeeper-shell.sh or
// kafka-metadata-quorum.sh): measured on a lab host, 4.7 CPU-seconds against 1.5, on hosts whose
// broker is restarting while a gate looks every second.

import { sh } from '../shell/quote.js';
import { privateTempDir } from '../shell/temp-dir.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';
import { parseDescribe, partitionStates, type PartitionState, type TopicInfo } from './kafka-health.js';
import { SECTION_FUNCTION, splitSections } from './probe.js';
import { CLUSTER_LOOK_JAR_BASE64 } from './cluster-look-jar.js';

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
  /** Seconds each tool may take (a cluster without ZooKeeper leaves kafka-topics.sh waiting a minute); none: as long as it takes. */
  toolTimeout?: number;
}

/** The line of the look's output that says what went wrong (the admin client's log follows it). */
function lookError(out: string, code: string): string {
  if (code === '124') return 'no answer in time';
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^Error\b/.test(l)) ?? lines.find((l) => /Exception|ERROR/.test(l)) ?? lines.at(-1) ?? `exit ${code}`;
}

/** The cluster as the host's Kafka libs see it; a TaskError when the partitions cannot be read. */
export async function readKafkaCluster(shell: HostShell, q: KafkaClusterQuery): Promise<KafkaCluster> {
  const limit = q.toolTimeout ? sh`timeout ${q.toolTimeout} ` : sh``;
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
