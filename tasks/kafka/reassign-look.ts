// The cluster as kafka_reassign sees it (reassign.ts's Cluster), read from the step's host. Over
// Kafka's protocol through the host's sshd when it forwards connections: Metadata and the topics'
// configs from a bootstrap broker, the reassignments from the active controller, each broker's
// throttle rates from that broker (only a broker answers for its own configs); no process on the
// host. Else with Kafka's tools, three JVMs per look. The task looks every 5 s while Kafka moves
// partitions, for as long as that takes, on a broker's host that is busy copying them.

import { askBrokers, bootstrapList, bootstrapPairs, concurrentSections, findKafka, ForwardingRefused, sh, SECTION_FUNCTION, splitSections, TaskError, type HostShell, type KafkaConnection, type WireBroker } from 'runbook';
import { canonical, clusterOfWire, key, readPlacement, THROTTLE_RATES, THROTTLED_REPLICAS, throttledBrokers, throttledTopics, type Cluster } from './reassign.js';

/** How long a broker may take to answer one request. */
const ANSWER_TIMEOUT_MS = 30_000;

export interface ClusterQuery {
  /** The brokers as host:port, a comma-joined list or a list. */
  bootstrap_server: string | string[];
  kafka_home?: string;
}

/** The cluster, over the wire where the host forwards connections, else with Kafka's tools; a TaskError when it cannot be read. */
export async function readCluster(shell: HostShell, q: ClusterQuery): Promise<Cluster> {
  try {
    return canonical(await overWire(shell, bootstrapList(q.bootstrap_server)));
  } catch (e) {
    if (!(e instanceof ForwardingRefused)) throw e;
  }
  return canonical(await withTools(shell, q));
}

async function overWire(shell: HostShell, bootstrap: string): Promise<Cluster> {
  const ask = <T>(b: WireBroker, question: (kafka: KafkaConnection) => Promise<T>) => askBrokers(shell, [b], ANSWER_TIMEOUT_MS, question);
  return askBrokers(shell, bootstrapPairs(bootstrap), ANSWER_TIMEOUT_MS, async (kafka) => {
    const metadata = await kafka.metadata();
    const controller = metadata.brokers.find((b) => b.id === metadata.controller);
    if (!controller) throw new Error(`the cluster has no active controller (${metadata.controller})`);
    const listed = metadata.topics.filter((t) => t.error === 0).map((t) => t.name);
    const [moving, brokerConfigs, topicConfigs] = await Promise.all([
      ask(controller, async (c) => {
        const r = await c.reassignments();
        // NOT_CONTROLLER (41): the controller moved since the metadata; the next broker's metadata names the new one.
        if (r.error !== 0) throw new Error(`broker ${controller.id} answered ListPartitionReassignments with error ${r.error}`);
        return r.reassignments;
      }),
      Promise.all(metadata.brokers.map((b) => ask(b, (c) => c.configs('broker', [String(b.id)], THROTTLE_RATES)))),
      kafka.configs('topic', listed, THROTTLED_REPLICAS),
    ]);
    return clusterOfWire(metadata, moving, topicConfigs, new Map(brokerConfigs.flatMap((m) => [...m])));
  }).catch((e) => {
    if (e instanceof ForwardingRefused) throw e;
    throw new TaskError(`cannot read the partitions from ${bootstrap}: ${(e as Error).message}`);
  });
}

/** The cluster with Kafka's tools, in one round trip. */
async function withTools(shell: HostShell, q: ClusterQuery): Promise<Cluster> {
  const r = await shell.run(sh`${SECTION_FUNCTION}${findKafka(q.kafka_home)}
b=${bootstrapList(q.bootstrap_server)}
${concurrentSections([
  ['describe', sh`"$k/bin/kafka-topics.sh" --bootstrap-server "$b" --describe 2>&1; rc=$?; rb_section describe-rc; echo "$rc"`],
  ['alive', sh`"$k/bin/kafka-broker-api-versions.sh" --bootstrap-server "$b" 2>/dev/null | sed -n 's/.* (id: \\([0-9]*\\) rack: .*/\\1/p'`],
  ['brokers', sh`"$k/bin/kafka-configs.sh" --bootstrap-server "$b" --describe --entity-type brokers 2>&1`],
])}`);
  const sections = splitSections(r.stdout);
  const describe = sections.get('describe') ?? '';
  if ((sections.get('describe-rc') ?? '').trim() !== '0') {
    throw new TaskError(`cannot read the partitions from ${bootstrapList(q.bootstrap_server)}: ${describe.trim().split('\n').slice(-1)[0]}`);
  }
  const { placement, moving } = readPlacement(describe);
  const offline = describe.split('\n').filter((l) => /\tLeader: (none|-1)\t/.test(l)).map((l) => key({ topic: /Topic: (\S+)/.exec(l)![1], partition: Number(/Partition: (\d+)/.exec(l)![1]) }));
  return {
    placement,
    moving,
    offline,
    alive: (sections.get('alive') ?? '').split('\n').filter(Boolean).map(Number),
    throttledBrokers: throttledBrokers(sections.get('brokers') ?? ''),
    throttledTopics: throttledTopics(describe),
  };
}
