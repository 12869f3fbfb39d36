// kafka_restart: one broker of a rolling restart. A gate first (nothing offline or
// under-replicated, and no partition that would fall under min.insync.replicas with this broker
// down), then the restart, then a wait until the broker is back in the ISR of every partition it
// replicates and nothing is under-replicated. With `throttle: 1` (and the controller last, see
// runbooks/rolling-restart.yaml) it is the whole safe roll; with `switch_to` it is one broker of an
// upgrade (the install link moves to the new release while the broker is stopped). A broker is
// restarted at most once per roll of a run, also when runbook was killed after the restart and
// resumed (sdk/restart.ts).

import {
  defineTask, z, TaskError, listenersOpen, FRESH_LOOK_MS, restartScope, kafkaMove, KAFKA_JAR_TAIL, unitArg, observeTurn, turnProbe, applyTurn, undoMove, moveDrift, readKafkaCluster, bootstrapArg, bootstrapList,
  kafkaHomeArg, installFileArg, notInIsr, restartRefusal, restartRisks,
  type HostShell, type MovedRecord, type TurnSpec, type TurnObserved, type KafkaCluster,
} from 'runbook';

const args = z.strictObject({
  broker_id: z.coerce.number().int().nonnegative().describe("This host's broker.id."),
  bootstrap_server: bootstrapArg.describe('The cluster: every broker (host:port, a comma-joined list or a list), asked for partition state while this one restarts.'),
  service: unitArg.default('kafka').describe("The broker's systemd unit."),
  config: installFileArg.default('config/server.properties').describe("The broker's config file inside the install (config/server1.properties for an instance): its zookeeper.connect and min.insync.replicas are read, and switch_to carries it into the new release."),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh): its config is read, and its libraries look at the cluster where the host forwards no connection.'),
  gate_timeout: z.coerce.number().int().nonnegative().default(120).describe('Seconds the gate waits for offline or under-replicated partitions to recover before it refuses.'),
  timeout: z.coerce.number().int().positive().default(300).describe('Seconds to wait for the restarted broker to be back in every ISR.'),
  pause: z.coerce.number().int().nonnegative().default(0).describe('Seconds to wait once the broker is back, before the next one goes down.'),
  force: z.boolean().default(false).describe('Restart even when the gate refuses (partitions would go offline or under min.insync.replicas).'),
  skip_controller: z.boolean().default(false).describe("Leave the broker alone while it is the active controller (ZooKeeper's /controller, or the KRaft quorum leader, read at its turn): the controller goes last, in a step of its own."),
  controller_step: z.boolean().default(false).describe('The step after the skip_controller one: --check shows only the controller restarting; a run also restarts a broker the earlier step left (the controller moved).'),
  roll: z.string().default('').describe('A name for this roll, when one run rolls the same brokers more than once (migrate-to-kraft: once per phase): a broker restarts at most once per roll of a run. Ignored with switch_to, whose release names the roll.'),
  switch_to: z
    .string()
    .regex(/^\//, 'an absolute path')
    .optional()
    .describe('A release directory to move the broker to (an upgrade): at its turn, kafka_home (the install link) is pointed at it while the broker is stopped. Undo points it back, one broker at a time.'),
});
type Args = z.output<typeof args>;

/** What apply takes from check: the unit, and the look at the cluster the check took just before. */
type Observed = TurnObserved & { look?: Look };

/** Partition state as read at a moment (ms since the epoch). */
interface Look {
  partitions: Cluster['partitions'];
  at: number;
}

/** What rollback needs to move the broker back: its own args, and the release it came from. */
interface Undo {
  switched?: Pick<Args, 'broker_id' | 'bootstrap_server' | 'service' | 'gate_timeout' | 'timeout'> & Partial<Pick<Args, 'config'>> & MovedRecord;
}

type Cluster = Pick<KafkaCluster, 'partitions' | 'alive' | 'controller' | 'controllersApart'>;

/** Partition state and live brokers, as the brokers answer this host (readKafkaCluster). */
async function cluster(shell: HostShell, a: Args, withController = false): Promise<Cluster> {
  const c = await readKafkaCluster(shell, { bootstrap: bootstrapList(a.bootstrap_server), ...(a.kafka_home ? { kafkaHome: a.kafka_home } : {}), config: a.config, controller: withController });
  if (withController && c.controller === undefined && !c.controllersApart) throw new TaskError('cannot tell which broker is the active controller (no /controller in ZooKeeper, no KRaft quorum leader)');
  return c;
}

/** Why the broker is not back yet, or undefined once it answers, is in every ISR and nothing is under-replicated. */
function notBack(c: Cluster, broker: number): string | undefined {
  if (!c.alive.includes(broker)) return `broker ${broker} does not answer yet`;
  return notInIsr(c.partitions, broker) ?? restartRefusal({ ...restartRisks(c.partitions, broker), belowMinIsr: [] });
}

export default defineTask<typeof args, Observed, Undo>({
  name: 'kafka_restart',
  description: 'Restart one Kafka broker safely: gate on partition health, restart, wait until it is back in every ISR',
  doc: `One broker of a rolling restart, from the broker's own host: the brokers (and ZooKeeper, for
\`/controller\`) are asked with their own protocols through the host's SSH connection, or, where its
sshd forwards nothing, by one JVM with the Kafka libraries in \`kafka_home\`:

1. **Gate.** Waits up to \`gate_timeout\` seconds until no partition is offline or under-replicated,
   then refuses if any partition would fall under its \`min.insync.replicas\` with this broker down
   (a replication factor 1 topic on it, say), listing the partitions. \`force: true\` restarts anyway.
2. **Restart** \`systemctl restart <service>\`: the broker's controlled shutdown moves its
   leaderships away first.
3. **Wait** up to \`timeout\` seconds until the broker answers, is back in the ISR of every partition
   it replicates, and nothing is under-replicated; then \`pause\` seconds.

A broker that is not running is left alone (ok). With \`skip_controller: true\` the active controller
(read at the broker's turn) is left for a later step: restart the others first, then the same step
with \`controller_step: true\` restarts only the controller, since the others were restarted in this run
already (and, if the controller moved meanwhile, the broker the first step left). The restart is recorded on the host with the
run's id, so a run killed after it and resumed goes on waiting instead of restarting again.
\`--check\` reports what the gate sees now. min.insync.replicas is the topic's own, else the one in
the broker's server.properties, else 1.

\`\`\`yaml
- name: Restart the broker and wait until it is back in every ISR
  hosts: kafka
  throttle: 1
  become: true
  kafka_restart:
    broker_id: "{{broker_id}}"
    bootstrap_server: kafka01:9092,kafka02:9092,kafka03:9092
    kafka_home: /home/kafka/kafka
\`\`\``,
  args,
  probe: ({ args: a }) => turnProbe(a.service, kafkaMove(a)),
  async check(ctx, probed) {
    const a = ctx.args;
    const move = kafkaMove(a);
    const undo = (from: string): Undo =>
      move && from ? { switched: { broker_id: a.broker_id, bootstrap_server: a.bootstrap_server, service: a.service, config: a.config, gate_timeout: a.gate_timeout, timeout: a.timeout, link: move.link, from, to: move.release } } : {};
    const turn = observeTurn<Observed, Undo>(probed, a.service, restartScope(ctx, a.switch_to ?? a.roll), move, ctx.checkMode, undo);
    if (turn.decided) return turn.decided;
    const { unit, from, observed } = turn;
    const c = await cluster(ctx.shell, a, (a.skip_controller || a.controller_step) && !unit.restartedInRoll);
    if (a.skip_controller && c.controller === a.broker_id && !unit.restartedInRoll) {
      return { inSync: true, summary: `the active controller: restarted last, by a step of its own` };
    }
    // Under --check the step before restarted no one: a broker here is one it would have restarted.
    if (a.controller_step && ctx.checkMode && c.controller !== a.broker_id) return { inSync: true, summary: 'not the controller: restarted by the step before' };
    if (unit.restartedInRoll) {
      const why = notBack(c, a.broker_id);
      if (!why) return { inSync: true, summary: `restarted in this run and back in every ISR` };
      return { inSync: false, observed, undo: undo(from), summary: `restarted in this run; wait until it is back: ${why}` };
    }
    const what = move ? `move broker ${a.broker_id} from ${from} to ${move.release}: stop, switch, start` : `restart ${a.service}`;
    const why = restartRefusal(restartRisks(c.partitions, a.broker_id));
    const look = { partitions: c.partitions, at: Date.now() };
    return { inSync: false, observed: { ...observed, look }, undo: undo(from), summary: why ? `${what}, but not now: ${why}` : `${what} (no partition at risk)` };
  },
  async apply(ctx, observed) {
    const a = ctx.args;
    await applyTurn(ctx, observed!, a.switch_to ?? a.roll, turnSpec(ctx.shell, a, observed?.look), kafkaMove(a));
  },
  async undo(ctx, record) {
    const s = record.switched;
    // A plain restart leaves nothing behind to put back.
    if (!s) return;
    const a = args.parse({ broker_id: s.broker_id, bootstrap_server: s.bootstrap_server, service: s.service, config: s.config, gate_timeout: s.gate_timeout, timeout: s.timeout, kafka_home: s.link, switch_to: s.from });
    await undoMove(ctx, s, kafkaMove(a)!, turnSpec(ctx.shell, a));
  },
  drift: (ctx, record) => (record.switched ? moveDrift(ctx.shell, record.switched, KAFKA_JAR_TAIL) : Promise.resolve(undefined)),
});

/**
 * One broker's turn: gated on partition health, back once in every ISR with nothing
 * under-replicated. The gate's first look is `look` (the check's) while it is fresh.
 */
function turnSpec(shell: HostShell, a: Args, look?: Look): TurnSpec {
  let checked = look && Date.now() - look.at < FRESH_LOOK_MS ? look.partitions : undefined;
  return {
    who: `broker ${a.broker_id}`,
    gateTimeout: a.gate_timeout,
    timeout: a.timeout,
    pause: a.pause,
    force: a.force,
    async gate() {
      const partitions = checked ?? (await cluster(shell, a)).partitions;
      checked = undefined;
      const risks = restartRisks(partitions, a.broker_id);
      // Under min ISR with everything in sync is how the topics are laid out: waiting cannot help.
      return { why: restartRefusal(risks), settled: risks.offline.length === 0 && risks.underReplicated.length === 0 };
    },
    refusalHint: 'fix the topics (replication factor above min.insync.replicas), or restart anyway with force (the partitions named go offline or reject acks=all writes meanwhile)',
    back: async () =>
      (await listenersOpen(shell, a.kafka_home, a.config)) === false
        ? `broker ${a.broker_id} does not answer yet`
        : notBack(await cluster(shell, a).catch((): Cluster => ({ partitions: [], alive: [] })), a.broker_id),
  };
}
