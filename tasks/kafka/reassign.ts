// Partition reassignment as data: which broker holds which replica now (a reassignment in
// progress, as the brokers answer over the wire or as `kafka-topics.sh --describe` prints it), the
// plan that puts every partition on a given set of brokers moving as few replicas as it can, and
// the leftovers of a replication throttle. Pure functions, tested on captured output and answers
// built to the protocol (test/tasks/kafka_reassign.test.ts).

import { CONFIG_SOURCE, type WireConfig, type WireMetadata, type WireReassignment } from 'runbook';

export interface Placement {
  topic: string;
  partition: number;
  /** Broker ids, the preferred leader first. */
  replicas: number[];
}

/** A partition whose replicas are moving: where from (before it started) and where to. */
export interface Moving {
  topic: string;
  partition: number;
  from: number[];
  to: number[];
}

/** The cluster as a reassignment sees it. */
export interface Cluster {
  placement: Placement[];
  moving: Moving[];
  /** Partitions without a leader: a reassignment cannot finish for them. */
  offline: string[];
  /** The brokers registered with the cluster. */
  alive: number[];
  throttledBrokers: number[];
  throttledTopics: Map<string, string[]>;
}

/** A broker's own replication throttle rates, as kafka-reassign-partitions.sh --throttle sets them. */
export const THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
/** A topic's throttled-replica lists, as kafka-reassign-partitions.sh --throttle sets them. */
export const THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

export const key = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;

const ids = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);

/**
 * The placement of every partition in `kafka-topics.sh --describe` output, and the partitions
 * being moved. During a reassignment Kafka lists old and new replicas together, with "Adding
 * Replicas" and "Removing Replicas": the new placement is the list without the removing ones, the
 * old one the list without the adding ones.
 */
export function readPlacement(describe: string): { placement: Placement[]; moving: Moving[] } {
  const placement: Placement[] = [];
  const moving: Moving[] = [];
  for (const line of describe.split('\n')) {
    if (!/^\s*Topic:.*\tPartition:/.test(line)) continue;
    const f = new Map(line.trim().split('\t').map((part) => [part.slice(0, part.indexOf(':')).trim(), part.slice(part.indexOf(':') + 1).trim()] as const));
    const at = { topic: f.get('Topic')!, partition: Number(f.get('Partition')) };
    const replicas = ids(f.get('Replicas'));
    const adding = ids(f.get('Adding Replicas'));
    const removing = ids(f.get('Removing Replicas'));
    if (adding.length || removing.length) {
      const to = replicas.filter((r) => !removing.includes(r));
      moving.push({ ...at, from: replicas.filter((r) => !adding.includes(r)), to });
      placement.push({ ...at, replicas: to });
    } else {
      placement.push({ ...at, replicas });
    }
  }
  return { placement, moving };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => byName(a.topic, b.topic) || a.partition - b.partition;
const byId = (a: number, b: number) => a - b;

/** The cluster in one order (topics by name, partitions by number, brokers by id) however Kafka listed it: the same look gives the same plan, log and record. */
export function canonical(c: Cluster): Cluster {
  return {
    placement: [...c.placement].sort(byPartition),
    moving: [...c.moving].sort(byPartition),
    offline: [...c.offline].sort(byName),
    alive: [...c.alive].sort(byId),
    throttledBrokers: [...c.throttledBrokers].sort(byId),
    throttledTopics: new Map([...c.throttledTopics].sort(([a], [b]) => byName(a, b)).map(([t, names]) => [t, [...names].sort(byName)])),
  };
}

/**
 * The cluster from the brokers' answers: Metadata (placement, leaders, registered brokers), the
 * controller's reassignments in progress, each topic's configs and each broker's own (keyed by its
 * id), as `THROTTLED_REPLICAS` and `THROTTLE_RATES` ask them: what `kafka-topics.sh --describe` and
 * `kafka-configs.sh` show. A moving partition's replicas are the controller's, which lead the
 * brokers' metadata.
 */
export function clusterOfWire(metadata: WireMetadata, reassignments: WireReassignment[], topicConfigs: Map<string, Map<string, WireConfig>>, brokerConfigs: Map<string, Map<string, WireConfig>>): Cluster {
  const inFlight = new Map(reassignments.map((r) => [key(r), r]));
  const placement: Placement[] = [];
  const moving: Moving[] = [];
  const offline: string[] = [];
  const topics = metadata.topics.filter((t) => t.error === 0);
  for (const t of topics) {
    for (const p of t.partitions) {
      const at = { topic: t.name, partition: p.partition };
      const r = inFlight.get(key(at));
      if (p.leader < 0) offline.push(key(at));
      if (r) {
        const to = r.replicas.filter((b) => !r.removing.includes(b));
        moving.push({ ...at, from: r.replicas.filter((b) => !r.adding.includes(b)), to });
        placement.push({ ...at, replicas: to });
      } else {
        placement.push({ ...at, replicas: p.replicas });
      }
    }
  }
  const setHere = (configs: Map<string, WireConfig> | undefined, names: string[], source: number) => names.filter((n) => configs?.get(n)?.source === source);
  const throttledTopics = new Map<string, string[]>();
  for (const t of topics) {
    const names = setHere(topicConfigs.get(t.name), THROTTLED_REPLICAS, CONFIG_SOURCE.topic);
    if (names.length) throttledTopics.set(t.name, names);
  }
  const alive = metadata.brokers.map((b) => b.id);
  return {
    placement,
    moving,
    offline,
    alive,
    throttledBrokers: alive.filter((id) => setHere(brokerConfigs.get(String(id)), THROTTLE_RATES, CONFIG_SOURCE.dynamicBroker).length > 0),
    throttledTopics,
  };
}

export class PlanError extends Error {}

/**
 * The moves that put every partition on `brokers` and spread each topic evenly over them, as
 * few as it takes: a replica on a broker outside the set goes to the broker of the set holding
 * the fewest of that topic's replicas; then, while one broker holds two more of a topic than
 * another, one replica goes from the first to the second; then preferred leaders are spread the
 * same way, by reordering a partition's replicas (no data moves for that). Kafka's own
 * `--generate` instead deals every partition out afresh, moving most of the data, and differently
 * on each call. Deterministic: the same placement gives the same plan, so --check shows it.
 * Returns the partitions whose replicas change, with their new replicas.
 */
export function planMoves(current: Placement[], brokers: number[]): Placement[] {
  const set = [...new Set(brokers)].sort((a, b) => a - b);
  const next = current.map((p) => ({ ...p, replicas: [...p.replicas] }));
  const byTopic = new Map<string, Placement[]>();
  for (const p of next) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  for (const [topic, parts] of byTopic) {
    parts.sort((a, b) => a.partition - b.partition);
    const widest = Math.max(...parts.map((p) => p.replicas.length));
    if (widest > set.length) {
      throw new PlanError(`topic ${topic} has partitions with ${widest} replicas: ${set.length} broker(s) (${set.join(', ')}) cannot hold them`);
    }
    const load = new Map(set.map((b) => [b, 0]));
    for (const p of parts) for (const r of p.replicas) if (load.has(r)) load.set(r, load.get(r)! + 1);
    const lightest = (exclude: number[]) =>
      set.filter((b) => !exclude.includes(b)).reduce<number | undefined>((best, b) => (best === undefined || load.get(b)! < load.get(best)! ? b : best), undefined);
    // Off the brokers outside the set.
    for (const p of parts) {
      p.replicas.forEach((r, i) => {
        if (load.has(r)) return;
        const to = lightest(p.replicas)!;
        p.replicas[i] = to;
        load.set(to, load.get(to)! + 1);
      });
    }
    // Even: each move lowers the sum of squared loads, so this ends.
    for (let m; (m = findMove(set, load, (from, to) => parts.find((p) => p.replicas.includes(from) && !p.replicas.includes(to)))); ) {
      m.p.replicas[m.p.replicas.indexOf(m.from)] = m.to;
      shift(load, m.from, m.to);
    }
    // Preferred leaders even, by swapping a replica to the front.
    const leads = new Map(set.map((b) => [b, 0]));
    for (const p of parts) if (p.replicas.length) leads.set(p.replicas[0], leads.get(p.replicas[0])! + 1);
    for (let m; (m = findMove(set, leads, (from, to) => parts.find((p) => p.replicas[0] === from && p.replicas.includes(to)))); ) {
      const i = m.p.replicas.indexOf(m.to);
      [m.p.replicas[0], m.p.replicas[i]] = [m.to, m.from];
      shift(leads, m.from, m.to);
    }
  }
  const before = new Map(current.map((p) => [key(p), p.replicas.join(',')]));
  return next.filter((p) => before.get(key(p)) !== p.replicas.join(',')).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

function shift(load: Map<number, number>, from: number, to: number): void {
  load.set(from, load.get(from)! - 1);
  load.set(to, load.get(to)! + 1);
}

/** The most loaded broker that can hand one unit to a broker holding two fewer, and the partition that moves. */
function findMove(set: number[], load: Map<number, number>, pick: (from: number, to: number) => Placement | undefined) {
  const order = [...set].sort((a, b) => load.get(b)! - load.get(a)! || a - b);
  for (const from of order) {
    for (const to of [...order].reverse()) {
      if (load.get(from)! - load.get(to)! < 2) break;
      const p = pick(from, to);
      if (p) return { p, from, to };
    }
  }
  return undefined;
}

/** `kafka-configs.sh --describe --entity-type brokers`: the brokers that still have a replication throttle rate set. */
export function throttledBrokers(text: string): number[] {
  const found = new Set<number>();
  let broker: number | undefined;
  for (const line of text.split('\n')) {
    const header = /^Dynamic configs for broker (\d+) are:/.exec(line);
    if (header) broker = Number(header[1]);
    else if (/^\S/.test(line)) broker = undefined;
    else if (broker !== undefined && /^\s+(leader|follower)\.replication\.throttled\.rate=/.test(line)) found.add(broker);
  }
  return [...found].sort((a, b) => a - b);
}

/** The throttle configs set on each topic (from the Configs of `kafka-topics.sh --describe`). */
export function throttledTopics(describe: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of describe.split('\n')) {
    const m = /^Topic:\s*(\S+)\t.*\tConfigs:\s*(.*)$/.exec(line);
    if (!m) continue;
    const names = [...m[2].matchAll(/(?:^|,)((?:leader|follower)\.replication\.throttled\.replicas)=/g)].map((x) => x[1]);
    if (names.length) found.set(m[1], names);
  }
  return found;
}
