// kafka_reassign's decisions as data: the placement read from --describe (a reassignment in
// progress included) and from the brokers' answers over the wire, the throttles left behind, and
// the plan: every partition on the given brokers, each topic spread evenly, as few replicas copied
// as that takes, the same plan each time. Against a real Kafka: test/serial/systasks-kafka-loopback.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonical, clusterOfWire, planMoves, readPlacement, throttledBrokers, throttledTopics, type Cluster, type Placement } from '../../tasks/kafka/reassign.js';
import { CONFIG_SOURCE, type WireConfig, type WireMetadata } from '../../src/sdk/kafka-protocol.js';
import kafkaReassign from '../../tasks/kafka_reassign.js';
import { hostileValues } from '../helpers/task-harness.js';

// Captured from Kafka 3.5.1 during a throttled reassignment (lab, 4 brokers).
const moving = `Topic: t1\tTopicId: nxylTvxMRC2UDilNmarUZg\tPartitionCount: 4\tReplicationFactor: 2\tConfigs: leader.replication.throttled.replicas=0:3,0:4,1:1,1:4,follower.replication.throttled.replicas=0:1,0:2,1:2,1:3,segment.bytes=1073741824,max.message.bytes=1048588
\tTopic: t1\tPartition: 0\tLeader: 3\tReplicas: 1,2,3,4\tIsr: 4,3\tAdding Replicas: 1,2\tRemoving Replicas: 3,4
\tTopic: t1\tPartition: 1\tLeader: 4\tReplicas: 3,4,2,1\tIsr: 4,1\tAdding Replicas: 3,2\tRemoving Replicas: 1
\tTopic: t1\tPartition: 2\tLeader: 2\tReplicas: 2,1\tIsr: 2,1
\tTopic: t1\tPartition: 3\tLeader: none\tReplicas: 3,4\tIsr: 
Topic: roll\tTopicId: 0K1lki3_TrSTPOYgNYn-Rg\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: min.insync.replicas=2,segment.bytes=1073741824
\tTopic: roll\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3
`;
const brokerConfigs = `Dynamic configs for broker 1 are:
  follower.replication.throttled.rate=100000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:follower.replication.throttled.rate=100000}
  leader.replication.throttled.rate=100000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:leader.replication.throttled.rate=100000}
Dynamic configs for broker 2 are:
Dynamic configs for broker 3 are:
  leader.replication.throttled.rate=100000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:leader.replication.throttled.rate=100000}
Default configs for brokers in the cluster are:
  follower.replication.throttled.rate=5 sensitive=false synonyms={}
`;

test('--describe during a reassignment: the new placement, and where each moving partition comes from', () => {
  const { placement, moving: m } = readPlacement(moving);
  assert.equal(placement, [
    { topic: 't1', partition: 0, replicas: [1, 2] },
    { topic: 't1', partition: 1, replicas: [3, 4, 2] },
    { topic: 't1', partition: 2, replicas: [2, 1] },
    { topic: 't1', partition: 3, replicas: [3, 4] },
    { topic: 'roll', partition: 0, replicas: [1, 2, 3] },
  ]);
  assert.equal(m, [
    { topic: 't1', partition: 0, from: [3, 4], to: [1, 2] },
    { topic: 't1', partition: 1, from: [4, 1], to: [3, 4, 2] },
  ]);
});

test('throttles left behind: broker rates (not the cluster default) and topic replica lists', () => {
  assert.equal(throttledBrokers(brokerConfigs), [1, 3]);
  assert.equal([...throttledTopics(moving)], [['t1', ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']]]);
  assert.equal(throttledBrokers('Dynamic configs for broker 1 are:\nDefault configs for brokers in the cluster are:\n'), []);
});

test('the same cluster over the wire (Metadata, the controller\'s reassignments, configs with their sources) as from the tools\' text', () => {
  const partition = (partition: number, leader: number, replicas: number[]) => ({ error: leader < 0 ? 5 : 0, partition, leader, replicas, isr: replicas, offline: [] });
  const metadata: WireMetadata = {
    brokers: [3, 1, 4, 2].map((id) => ({ id, host: `kafka0${id}`, port: 9092 })),
    controller: 1,
    topics: [
      { name: 't1', error: 0, internal: false, partitions: [partition(1, 4, [3, 4, 2, 1]), partition(0, 3, [1, 2, 3, 4]), partition(3, -1, [3, 4]), partition(2, 2, [2, 1])] },
      { name: 'roll', error: 0, internal: false, partitions: [partition(0, 1, [1, 2, 3])] },
      // A topic being deleted answers with an error of its own: the tools do not list it either.
      { name: 'gone', error: 3, internal: false, partitions: [] },
    ],
  };
  const reassignments = [
    { topic: 't1', partition: 0, replicas: [1, 2, 3, 4], adding: [1, 2], removing: [3, 4] },
    { topic: 't1', partition: 1, replicas: [3, 4, 2, 1], adding: [3, 2], removing: [1] },
  ];
  const configs = (entries: [string, string, number][]) => new Map<string, WireConfig>(entries.map(([k, value, source]) => [k, { value, source }]));
  const lists = (source: number) => configs([['leader.replication.throttled.replicas', source === CONFIG_SOURCE.topic ? '0:3' : '', source], ['follower.replication.throttled.replicas', source === CONFIG_SOURCE.topic ? '0:1' : '', source]]);
  const rates = (leader: number, follower: number) => configs([['leader.replication.throttled.rate', '100000', leader], ['follower.replication.throttled.rate', '5', follower]]);
  const { dynamicBroker: own, dynamicDefaultBroker: clusterDefault, default: none } = CONFIG_SOURCE;
  const wire = clusterOfWire(
    metadata,
    reassignments,
    new Map([['t1', lists(CONFIG_SOURCE.topic)], ['roll', lists(none)]]),
    new Map([['1', rates(own, own)], ['2', rates(none, clusterDefault)], ['3', rates(own, clusterDefault)], ['4', rates(none, clusterDefault)]]),
  );
  const { placement, moving: inFlight } = readPlacement(moving);
  const text: Cluster = { placement, moving: inFlight, offline: ['t1-3'], alive: [1, 2, 3, 4], throttledBrokers: throttledBrokers(brokerConfigs), throttledTopics: throttledTopics(moving) };
  assert.equal(canonical(wire), canonical(text));
  assert.equal(canonical(wire).throttledBrokers, [1, 3]);
  assert.equal(canonical(wire).placement.map((p) => `${p.topic}-${p.partition}`), ['roll-0', 't1-0', 't1-1', 't1-2', 't1-3']);
});

/** A topic of `n` partitions placed round-robin on `brokers` with `rf` replicas each, as Kafka does. */
function topic(name: string, n: number, rf: number, brokers: number[]): Placement[] {
  return Array.from({ length: n }, (_, p) => ({ topic: name, partition: p, replicas: Array.from({ length: rf }, (_, r) => brokers[(p + r) % brokers.length]) }));
}

function apply(current: Placement[], moves: Placement[]): Placement[] {
  const by = new Map(moves.map((m) => [`${m.topic}-${m.partition}`, m.replicas]));
  return current.map((p) => ({ ...p, replicas: by.get(`${p.topic}-${p.partition}`) ?? p.replicas }));
}

function counts(placement: Placement[], brokers: number[], leaders = false): number[] {
  return brokers.map((b) => placement.filter((p) => (leaders ? p.replicas[0] === b : p.replicas.includes(b))).length);
}

const copied = (before: Placement[], after: Placement[]) => after.reduce((n, p, i) => n + p.replicas.filter((r) => !before[i].replicas.includes(r)).length, 0);

test('adding a broker: each topic spread evenly over all four, leaders too, with the fewest copies; then nothing to do', () => {
  const before = [...topic('roll', 6, 3, [1, 2, 3]), ...topic('__consumer_offsets', 50, 3, [1, 2, 3])];
  const after = apply(before, planMoves(before, [1, 2, 3, 4]));
  for (const name of ['roll', '__consumer_offsets']) {
    const t = after.filter((p) => p.topic === name);
    const load = counts(t, [1, 2, 3, 4]);
    assert.ok(Math.max(...load) - Math.min(...load) <= 1, `${name} replicas: ${load}`);
    const leads = counts(t, [1, 2, 3, 4], true);
    assert.ok(Math.max(...leads) - Math.min(...leads) <= 1, `${name} leaders: ${leads}`);
    // The new broker gets its share, and only that much is copied: one replica per move.
    const share = Math.floor((t.length * 3) / 4);
    assert.ok(copied(before.filter((p) => p.topic === name), t) <= share + 1, `${name}: no more copied than broker 4's share`);
  }
  assert.ok(after.every((p) => new Set(p.replicas).size === 3), 'a partition never holds a broker twice');
  assert.equal(planMoves(after, [1, 2, 3, 4]), []);
  // The same cluster, the same plan.
  assert.equal(planMoves(before, [1, 2, 3, 4]), planMoves(structuredClone(before), [4, 3, 2, 1]));
});

test('removing a broker: nothing left on it, the rest even, partitions without it untouched', () => {
  const before = topic('roll', 8, 3, [1, 2, 3, 4]);
  const moves = planMoves(before, [1, 2, 3]);
  const after = apply(before, moves);
  assert.ok(after.every((p) => !p.replicas.includes(4)));
  const load = counts(after, [1, 2, 3]);
  assert.equal(load, [8, 8, 8]);
  assert.equal(copied(before, after), before.filter((p) => p.replicas.includes(4)).length);
  assert.equal(planMoves(after, [1, 2, 3]), []);
});

test('a balanced cluster needs no move; too few brokers for a replication factor is refused', () => {
  assert.equal(planMoves(topic('t', 6, 2, [1, 2, 3]), [1, 2, 3]), []);
  assert.throws(() => planMoves(topic('t', 3, 3, [1, 2, 3]), [1, 2]), /topic t has partitions with 3 replicas: 2 broker\(s\) \(1, 2\) cannot hold them/);
});

test('random placements: every plan ends on the set, even, and is stable', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 200; round++) {
    const all = [1, 2, 3, 4, 5, 6].slice(0, 3 + rand(4));
    const rf = 1 + rand(3);
    const before: Placement[] = Array.from({ length: 1 + rand(12) }, (_, p) => {
      const pool = [...all];
      return { topic: `t${rand(2)}`, partition: p, replicas: Array.from({ length: rf }, () => pool.splice(rand(pool.length), 1)[0]) };
    });
    // One broker leaves, when the rest can still hold every replica.
    const leaving = all.length - 1 >= rf ? all[rand(all.length)] : undefined;
    const target = all.filter((b) => b !== leaving);
    const after = apply(before, planMoves(before, target));
    assert.ok(after.every((p) => p.replicas.every((r) => target.includes(r)) && new Set(p.replicas).size === rf), `round ${round}`);
    for (const name of new Set(after.map((p) => p.topic))) {
      const load = counts(after.filter((p) => p.topic === name), target);
      assert.ok(Math.max(...load) - Math.min(...load) <= 1, `round ${round} ${name}: ${load}`);
    }
    assert.equal(planMoves(after, target), [], `round ${round}: a second plan moves nothing`);
  }
});

test('args: broker lists as text or lists; hostile topic names are refused', () => {
  const parse = (a: unknown) => kafkaReassign.args.safeParse(a);
  const ok = parse({ brokers: '1, 2,4', remove: 3, bootstrap_server: 'kafka01:9092' });
  assert.ok(ok.success);
  assert.equal(ok.data!.brokers, [1, 2, 4]);
  assert.equal(ok.data!.remove, [3]);
  assert.is(parse({ brokers: '', bootstrap_server: 'kafka01:9092' }).success, false);
  for (const v of hostileValues('/tmp/pwned')) assert.is(parse({ brokers: [1], topics: [v], bootstrap_server: 'k:9092' }).success, false, v);
});

test.run();
