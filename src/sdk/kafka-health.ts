// `kafka-topics.sh --describe` read as data, and what a rolling restart decides from it: which
// partitions are offline or under-replicated, which would fall under min.insync.replicas if a
// broker went down, and whether a restarted broker is back in every ISR. Pure functions of the
// tool's output, tested on captured output (test/systasks/kafka.test.ts).

export interface PartitionInfo {
  partition: number;
  /** null: no leader (Leader: none / -1): offline. */
  leader: number | null;
  replicas: number[];
  isr: number[];
}

export interface TopicInfo {
  name: string;
  partitionCount: number;
  replicationFactor: number;
  /** The topic's own min.insync.replicas, when its Configs set one. */
  minIsr?: number;
  partitions: PartitionInfo[];
}

export interface PartitionState extends PartitionInfo {
  topic: string;
  minIsr: number;
}

const ids = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);

function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  // "Key: value" pairs separated by tabs; a value may be empty (an empty ISR).
  for (const part of line.trim().split('\t')) {
    const i = part.indexOf(':');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

/** Every topic of `kafka-topics.sh --describe` output, by name. */
export function parseDescribe(text: string): Map<string, TopicInfo> {
  const topics = new Map<string, TopicInfo>();
  for (const line of text.split('\n')) {
    if (!/^\s*Topic:/.test(line)) continue;
    const f = fields(line);
    const name = f.get('Topic')!;
    if (!f.has('Partition')) {
      const override = /(?:^|,)min\.insync\.replicas=(\d+)/.exec(f.get('Configs') ?? '');
      topics.set(name, {
        name,
        partitionCount: Number(f.get('PartitionCount')),
        replicationFactor: Number(f.get('ReplicationFactor')),
        ...(override ? { minIsr: Number(override[1]) } : {}),
        partitions: [],
      });
      continue;
    }
    const leader = f.get('Leader');
    topics.get(name)?.partitions.push({
      partition: Number(f.get('Partition')),
      leader: leader === undefined || leader === 'none' || leader === '-1' ? null : Number(leader),
      replicas: ids(f.get('Replicas')),
      isr: ids(f.get('Isr')),
    });
  }
  return topics;
}

/** Every partition of every topic, each with the min.insync.replicas that applies to it (the topic's, else the broker's `defaultMinIsr`). */
export function partitionStates(topics: Map<string, TopicInfo>, defaultMinIsr: number): PartitionState[] {
  return [...topics.values()].flatMap((t) => t.partitions.map((p) => ({ ...p, topic: t.name, minIsr: t.minIsr ?? defaultMinIsr })));
}

/** Partitions without a leader or with replicas missing from the ISR, as readable phrases. */
export function isrProblems(info: TopicInfo): string[] {
  return info.partitions.flatMap((p) => {
    if (p.leader === null) return [`partition ${p.partition} has no leader`];
    const missing = p.replicas.filter((r) => !p.isr.includes(r));
    return missing.length ? [`partition ${p.partition}: replicas ${missing.join(',')} not in sync (isr ${p.isr.join(',')})`] : [];
  });
}

export const label = (p: PartitionState) => `${p.topic}-${p.partition}`;

export interface RestartRisks {
  offline: PartitionState[];
  underReplicated: PartitionState[];
  /** Partitions whose ISR would drop below min.insync.replicas with `broker` down: producers with acks=all would fail. */
  belowMinIsr: PartitionState[];
}

/** What taking `broker` down now would do. */
export function restartRisks(partitions: PartitionState[], broker: number): RestartRisks {
  return {
    offline: partitions.filter((p) => p.leader === null),
    underReplicated: partitions.filter((p) => p.isr.length < p.replicas.length),
    belowMinIsr: partitions.filter((p) => p.isr.includes(broker) && p.isr.length - 1 < p.minIsr),
  };
}

/** Why the cluster is not ready for `broker` to go down (one line), or undefined when it is. */
export function restartRefusal(risks: RestartRisks): string | undefined {
  const list = (ps: PartitionState[]) => ps.slice(0, 20).map(label).join(', ') + (ps.length > 20 ? `, and ${ps.length - 20} more` : '');
  if (risks.offline.length) return `${risks.offline.length} partition(s) offline: ${list(risks.offline)}`;
  if (risks.underReplicated.length) return `${risks.underReplicated.length} partition(s) under-replicated: ${list(risks.underReplicated)}`;
  if (risks.belowMinIsr.length) {
    return `${risks.belowMinIsr.length} partition(s) would fall under min.insync.replicas with this broker down: ${list(risks.belowMinIsr)}`;
  }
  return undefined;
}

/** Partitions `broker` replicates but is not in the ISR of yet; empty once it has caught up. */
export function notCaughtUp(partitions: PartitionState[], broker: number): PartitionState[] {
  return partitions.filter((p) => p.replicas.includes(broker) && !p.isr.includes(broker));
}

/**
 * Why `broker` is not back in every ISR (one line), or undefined when it is. The partitions are
 * named by leader: a leader takes a follower back into its ISR, and one that never does (a leader
 * stuck after a controller change) shows as one broker holding every partition that waits.
 */
export function notInIsr(partitions: PartitionState[], broker: number): string | undefined {
  const missing = notCaughtUp(partitions, broker);
  if (!missing.length) return undefined;
  const byLeader = new Map<string, PartitionState[]>();
  for (const p of missing) {
    const leader = p.leader === null ? 'no leader' : `led by ${p.leader}`;
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  const groups = [...byLeader].map(([leader, ps]) => `${leader}: ${ps.length} (${ps.slice(0, 5).map(label).join(', ')}${ps.length > 5 ? ', …' : ''})`);
  return `broker ${broker} is not yet in the ISR of ${missing.length} partition(s); ${groups.join('; ')}`;
}
