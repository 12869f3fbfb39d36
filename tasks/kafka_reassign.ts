// kafka_reassign: every partition on a given set of brokers, spread evenly, moved with
// kafka-reassign-partitions.sh under a replication throttle; waited for until Kafka has finished
// (looking over Kafka's protocol, kafka/reassign-look.ts), then the throttle removed. What adding a broker (the new one joins the set) and removing one (it
// leaves the set) both come down to. A run killed in the middle finds Kafka still moving: resume
// waits for that reassignment instead of starting another, and removes the throttle at the end.

import { defineTask, z, sh, privateTempDir, TaskError, waitUntil, bootstrapArg, bootstrapList, brokerIdsArg, findKafka, kafkaHomeArg, topicName, type HostShell } from 'runbook';
import { key, PlanError, planMoves, type Cluster, type Placement } from './kafka/reassign.js';
import { readCluster } from './kafka/reassign-look.js';

const args = z.strictObject({
  brokers: brokerIdsArg.pipe(z.array(z.number()).min(1)).describe('The brokers (ids, a list or comma-joined) that hold the partitions afterwards; each topic is spread evenly over them.'),
  remove: brokerIdsArg.default([]).describe('Brokers being emptied: their replicas move onto `brokers`. Replicas on a broker in neither list stop the task (an inventory that misses a broker must not empty it).'),
  topics: z.array(topicName).optional().describe('Only these topics (default: every topic, internal ones included).'),
  bootstrap_server: bootstrapArg.describe('The cluster: brokers as host:port, a comma-joined list or a list.'),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh).'),
  throttle: z.coerce.number().int().positive().default(50_000_000).describe('Replication throttle while partitions move, bytes per second per broker (Kafka\'s --throttle; 50 MB/s as in Kafka\'s docs).'),
  timeout: z.coerce.number().int().positive().default(3600).describe('Seconds to wait for Kafka to finish moving; after it the step fails and the reassignment goes on (resume waits again).'),
});
type Args = z.output<typeof args>;

/** Undo runs without the step's args: the record says where Kafka is and where every partition was. */
interface Undo {
  bootstrap_server: string;
  kafka_home?: string;
  throttle: number;
  timeout: number;
  placement: Placement[];
}

interface Observed {
  plan: Placement[];
  /** Check's undo record, which apply extends when it plans again after a move in progress. */
  undo: Undo;
}

/**
 * Partitions with more replicas than most of their topic's, though not listed as moving: a move
 * that just ended, whose dropped replica the broker answering has not forgotten yet.
 */
function widened(c: Cluster): Placement[] {
  const counts = new Map<string, Map<number, number>>();
  for (const p of c.placement) {
    const t = counts.get(p.topic) ?? new Map<number, number>();
    t.set(p.replicas.length, (t.get(p.replicas.length) ?? 0) + 1);
    counts.set(p.topic, t);
  }
  const usual = (topic: string) => [...counts.get(topic)!].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0][0];
  return c.placement.filter((p) => p.replicas.length > usual(p.topic));
}

/** Where the partitions Kafka is moving are going. */
const arriving = (c: Cluster): Placement[] => c.moving.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.to }));

/** The moves that put the chosen topics on `brokers`, once what Kafka is moving now has arrived. */
function plan(c: Cluster, a: Args): Placement[] {
  const chosen = c.placement.filter((p) => !a.topics || a.topics.includes(p.topic));
  const missing = (a.topics ?? []).filter((t) => !chosen.some((p) => p.topic === t));
  if (missing.length) throw new TaskError(`no topic ${missing.join(', ')} in the cluster`);
  const unregistered = a.brokers.filter((b) => !c.alive.includes(b));
  if (unregistered.length) {
    throw new TaskError(`broker(s) ${unregistered.join(', ')} not registered in the cluster (registered: ${c.alive.join(', ')})`, { hint: 'start the broker first and wait until it listens' });
  }
  const foreign = [...new Set(chosen.flatMap((p) => p.replicas))].filter((b) => !a.brokers.includes(b) && !a.remove.includes(b)).sort((x, y) => x - y);
  if (foreign.length) {
    throw new TaskError(`broker(s) ${foreign.join(', ')} hold replicas but are neither in brokers nor in remove`, {
      hint: 'add them to the inventory\'s kafka group (to keep them) or to remove (to empty them)',
    });
  }
  try {
    return planMoves(chosen, a.brokers);
  } catch (e) {
    if (e instanceof PlanError) throw new TaskError(e.message, { hint: 'keep at least as many brokers as the widest replication factor' });
    throw e;
  }
}

/** How many replicas a plan copies to a broker that did not hold them (a reorder copies nothing). */
function copies(ps: Placement[], before: Map<string, number[]>): number {
  return ps.reduce((n, p) => n + p.replicas.filter((r) => !(before.get(key(p)) ?? []).includes(r)).length, 0);
}

/** Starts the reassignment (the JSON through stdin into a private file) under the throttle. */
async function execute(shell: HostShell, a: Pick<Args, 'bootstrap_server' | 'kafka_home' | 'throttle'>, moves: Placement[]): Promise<void> {
  const json = JSON.stringify({ version: 1, partitions: moves.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas })) });
  await shell.run(sh`set -e
${findKafka(a.kafka_home)}
${privateTempDir('d')}
printf '%s' ${json} > "$d/moves.json"
"$k/bin/kafka-reassign-partitions.sh" --bootstrap-server ${bootstrapList(a.bootstrap_server)} --reassignment-json-file "$d/moves.json" --execute --throttle ${a.throttle} >&2`);
}

/**
 * Waits until Kafka is moving nothing and every partition of `targets` has its target replicas.
 * Both are asked: the "Adding/Removing Replicas" of --describe come from the controller, the
 * replicas from a broker's metadata, which catches up a moment later. A reassignment that ended
 * elsewhere (cancelled by someone) fails after a grace period instead of waiting out the timeout.
 */
async function settle(shell: HostShell, a: Pick<Args, 'bootstrap_server' | 'kafka_home' | 'timeout'>, targets: Placement[], signal: AbortSignal, log: (m: string) => void): Promise<Cluster> {
  let last: Cluster | undefined;
  let reported = -1;
  let idleSince: number | undefined;
  const astray = (c: Cluster) => {
    const now = new Map(c.placement.map((p) => [key(p), p.replicas.join(',')]));
    return targets.filter((t) => now.get(key(t)) !== t.replicas.join(','));
  };
  return waitUntil(
    a.timeout,
    signal,
    async () => {
      last = await readCluster(shell, a);
      if (last.moving.length) {
        idleSince = undefined;
        if (last.moving.length !== reported) log(`${last.moving.length} partition(s) still moving: ${last.moving.slice(0, 5).map(key).join(', ')}${last.moving.length > 5 ? ', ...' : ''}`);
        reported = last.moving.length;
        return undefined;
      }
      const off = astray(last);
      const wide = widened(last);
      if (!off.length && !wide.length) return last;
      idleSince ??= Date.now();
      if (Date.now() - idleSince > 30_000) {
        // A topic whose partitions have different replication factors on purpose.
        if (!off.length) return last;
        throw new TaskError(`the reassignment ended, but ${off.length} partition(s) are not where planned: ${off.slice(0, 10).map(key).join(', ')}`, { hint: 'was it cancelled? run the step again' });
      }
      return undefined;
    },
    () => `Kafka is still moving ${last?.moving.length} partition(s) after ${a.timeout} s (${last?.moving.slice(0, 10).map(key).join(', ')}); the reassignment goes on in the cluster: \`runbook resume\` waits for it again`,
    5000,
  );
}

/** Removes every replication throttle rate and throttled-replicas list a reassignment left. */
async function unthrottle(shell: HostShell, a: Pick<Args, 'bootstrap_server' | 'kafka_home'>, c: Cluster): Promise<void> {
  if (!c.throttledBrokers.length && !c.throttledTopics.size) return;
  const rate = 'leader.replication.throttled.rate,follower.replication.throttled.rate';
  // Kafka refuses to delete a config that is not set: only the ones present are named.
  const brokers = c.throttledBrokers.map((b) => sh`"$k/bin/kafka-configs.sh" --bootstrap-server "$b" --alter --entity-type brokers --entity-name ${String(b)} --delete-config ${rate} >&2;`);
  const topics = [...c.throttledTopics].map(([t, names]) => sh`"$k/bin/kafka-configs.sh" --bootstrap-server "$b" --alter --entity-type topics --entity-name ${t} --delete-config ${names.join(',')} >&2;`);
  await shell.run(sh`set -e
${findKafka(a.kafka_home)}
b=${bootstrapList(a.bootstrap_server)}
${[...brokers, ...topics]}`);
}

/** Moves partitions to `moves`, waits, removes the throttle: the apply and the undo alike. */
async function reassign(shell: HostShell, a: Pick<Args, 'bootstrap_server' | 'kafka_home' | 'throttle' | 'timeout'>, moves: Placement[], signal: AbortSignal, log: (m: string) => void): Promise<Cluster> {
  if (moves.length) {
    const before = await readCluster(shell, a);
    const offline = moves.map(key).filter((k) => before.offline.includes(k));
    if (offline.length) throw new TaskError(`partition(s) ${offline.join(', ')} have no leader: they cannot move now`, { hint: 'bring their brokers back first' });
    await execute(shell, a, moves);
  }
  const after = await settle(shell, a, moves, signal, log);
  await unthrottle(shell, a, after);
  return after;
}

export default defineTask<typeof args, Observed, Undo>({
  name: 'kafka_reassign',
  description: 'Put every partition on a set of brokers, spread evenly, moved under a replication throttle (kafka-reassign-partitions.sh)',
  doc: `Moves replicas so that every partition (of \`topics\`, default all) is on \`brokers\` and each
topic is spread evenly over them, with as few moves as it takes (a replica off a broker outside the
set, then from the broker holding the most of a topic to the one holding the fewest; preferred
leaders evened out by reordering, which copies nothing). Kafka's \`--generate\` deals everything out
afresh instead, moving most of the data, differently on each call; this plan is the same for the
same cluster, so \`--check\` shows exactly what will move.

The moves run through \`kafka-reassign-partitions.sh --execute --throttle <throttle>\` from the
step's host; the task waits (up to \`timeout\` s, logging progress) until Kafka has moved
everything, then removes the throttle configs from the brokers and topics (as \`--verify\` would).
It looks every 5 s with Kafka's protocol, through connections the host's sshd opens (Metadata, the
controller's ListPartitionReassignments, DescribeConfigs): no process on a host that is busy
copying partitions. Where the sshd forwards nothing (\`AllowTcpForwarding no\`), Kafka's tools look
instead, three JVMs each time.
A run killed meanwhile leaves Kafka moving: on resume the task waits for that reassignment, plans
again from where it ended and removes the throttle; throttles left by an earlier reassignment are
removed too. Replicas on a broker listed in \`remove\` move away; replicas on a broker in neither
list stop the task. Undo moves every partition back where it was, the same way.

\`\`\`yaml
- name: Spread the partitions over every broker, the new one included
  hosts: kafka
  run_once: true
  kafka_reassign:
    brokers: [1, 2, 3, 4]
    bootstrap_server: kafka01:9092,kafka02:9092
    kafka_home: /home/kafka/kafka
\`\`\``,
  args,
  async check(ctx) {
    const a = ctx.args;
    const c = await readCluster(ctx.shell, a);
    const before = new Map(c.placement.map((p) => [key(p), p.replicas]));
    // A reassignment in progress counts from where it started: that is where undo goes back to.
    for (const m of c.moving) before.set(key(m), m.from);
    // While Kafka moves partitions (or has only just finished), the plan waits until they have
    // landed (apply): a placement in between is no ground for one.
    const inFlight = c.moving.length > 0 || widened(c).length > 0;
    const moves = inFlight ? [] : plan(c, a);
    // Undo puts back each partition that moves: where it was before, or before Kafka began moving it.
    const back = new Map(moves.map((p) => [key(p), { ...p, replicas: before.get(key(p))! }]));
    for (const m of c.moving) back.set(key(m), { topic: m.topic, partition: m.partition, replicas: m.from });
    const undo: Undo = {
      bootstrap_server: bootstrapList(a.bootstrap_server),
      ...(a.kafka_home ? { kafka_home: a.kafka_home } : {}),
      throttle: a.throttle,
      timeout: a.timeout,
      placement: [...back.values()],
    };
    const parts: string[] = [];
    if (inFlight) parts.push(`wait for the ${c.moving.length || widened(c).length} partition(s) Kafka is moving, then plan again`);
    if (moves.length) parts.push(`move ${moves.length} partition(s) (${copies(moves, before)} replica(s) copied) under a ${a.throttle} B/s throttle`);
    if (c.throttledBrokers.length || c.throttledTopics.size) parts.push('remove the replication throttle');
    else if (moves.length || inFlight) parts.push('then remove the throttle');
    if (!parts.length) return { inSync: true, summary: `every partition on brokers ${a.brokers.join(', ')}, spread evenly` };
    const changing = [...arriving(c), ...moves];
    const lines = (ps: Placement[]) => ps.map((p) => `${key(p)}: ${p.replicas.join(',')}\n`).join('');
    return {
      inSync: false,
      observed: { plan: moves, undo },
      undo,
      summary: parts.join(', '),
      // --diff shows the replicas of each partition that moves, before and after.
      diff: changing.length ? [{ path: 'partition replicas', before: lines(changing.map((p) => ({ ...p, replicas: before.get(key(p)) ?? [] }))), after: lines(changing) }] : undefined,
    };
  },
  async apply(ctx, observed) {
    const a = ctx.args;
    let moves = observed?.plan ?? [];
    // Kafka accepts one reassignment of a partition at a time: one in progress is finished first,
    // and the plan made again from where it ended.
    let undo: Undo | undefined;
    const now = await readCluster(ctx.shell, a);
    if (now.moving.length || widened(now).length) {
      ctx.log(`waiting for the reassignment in progress (${now.moving.length} partition(s))`);
      const landed = await settle(ctx.shell, a, arriving(now), ctx.signal, ctx.log);
      moves = plan(landed, a);
      // Check's record knew only the partitions in flight: the new moves go back from where they start.
      const back = new Map(observed!.undo.placement.map((p) => [key(p), p]));
      for (const p of landed.placement) if (moves.some((m) => key(m) === key(p)) && !back.has(key(p))) back.set(key(p), p);
      undo = { ...observed!.undo, placement: [...back.values()] };
    }
    const after = await reassign(ctx.shell, a, moves, ctx.signal, ctx.log);
    // A topic created meanwhile may have landed on a broker being emptied: never report done then.
    const left = plan(after, a);
    if (left.length) throw new TaskError(`the move is done, but ${left.length} partition(s) still need moving: ${left.slice(0, 10).map(key).join(', ')} (created meanwhile?)`, { hint: 'run the step again' });
    return { ...(undo ? { undo } : {}), data: { moved: moves.map(key) } };
  },
  async undo(ctx, record) {
    // What Kafka is moving now lands first (a rollback after a failed or killed move).
    const now = await readCluster(ctx.shell, record);
    await settle(ctx.shell, record, arriving(now), ctx.signal, ctx.log);
    // The brokers the partitions go back to must be there (a removed broker started again first).
    const needed = [...new Set(record.placement.flatMap((p) => p.replicas))].sort((x, y) => x - y);
    const current = await waitUntil(
      record.timeout,
      ctx.signal,
      async () => {
        const c = await readCluster(ctx.shell, record);
        return needed.every((b) => c.alive.includes(b)) ? c : undefined;
      },
      () => `broker(s) ${needed.join(', ')} are not all registered: the partitions cannot move back`,
    );
    const where = new Map(current.placement.map((p) => [key(p), p.replicas.join(',')]));
    const moves = record.placement.filter((p) => where.get(key(p)) !== p.replicas.join(','));
    await reassign(ctx.shell, record, moves, ctx.signal, ctx.log);
  },
});
