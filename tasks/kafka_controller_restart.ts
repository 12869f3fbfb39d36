// kafka_controller_restart: one dedicated KRaft controller of a rolling restart. A gate first (the
// quorum has a leader and every other voter is caught up, so it keeps its majority while this one
// is down), then the restart, then a wait until the controller is a voter again, caught up with the
// leader. Followers go first (`skip_leader`), the quorum leader last. A controller is restarted at
// most once per roll of a run, also across a kill -9 and `runbook resume` (sdk/restart.ts). With
// `switch_to` it is one controller of an upgrade (the install link moves to the new release while it
// is stopped). Brokers, and nodes that are both, restart with kafka_restart.

import {
  defineTask, z, restartScope, unitArg, observeTurn, turnProbe, applyTurn, undoMove, moveDrift, bootstrapArg, bootstrapList, kafkaHomeArg, installFileArg, kafkaMove,
  readQuorum, quorumGate, quorumNotBack, listenersOpen, KAFKA_JAR_TAIL, FRESH_LOOK_MS,
  type HostShell, type MovedRecord, type TurnSpec, type TurnObserved, type Quorum,
} from 'runbook';

const args = z.strictObject({
  node_id: z.coerce.number().int().nonnegative().describe("This controller's node.id."),
  voters: z
    .union([z.string().regex(/^\d+(,\d+)*$/, 'node ids joined with commas'), z.array(z.coerce.number().int().nonnegative()).min(1)])
    .transform((v) => (Array.isArray(v) ? v : v.split(',').map(Number)))
    .describe('The node ids of every controller of the quorum, this one included (a list, or joined with commas).'),
  bootstrap_controller: bootstrapArg.describe("Every controller's listener (host:port, a comma-joined list or a list), asked for the quorum's state."),
  service: unitArg.default('kafka').describe("The controller's systemd unit."),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka): its tools ask the quorum where the host forwards no connection; the install link switch_to moves.'),
  config: installFileArg.default('config/server.properties').describe("The controller's config file inside the install (config/server-controller.properties for an instance): switch_to carries it into the new release."),
  roll: z.string().default('').describe('A name for this roll, when one run rolls the same nodes more than once (migrate-to-kraft: once per phase): a node restarts at most once per roll of a run. Ignored with switch_to, whose release names the roll.'),
  switch_to: z
    .string()
    .regex(/^\//, 'an absolute path')
    .optional()
    .describe('A release directory to move the controller to (an upgrade): at its turn, kafka_home (the install link) is pointed at it while the controller is stopped. Undo points it back, one controller at a time.'),
  skip_leader: z.boolean().default(false).describe('Leave the controller alone while it leads the quorum (read at its turn): the leader goes last, in a step of its own.'),
  leader_step: z.boolean().default(false).describe('The step after the skip_leader one: --check shows only the leader restarting; a run also restarts a controller the earlier step left (leadership moved).'),
  gate_timeout: z.coerce.number().int().nonnegative().default(120).describe('Seconds the gate waits for every other voter to be caught up before it refuses.'),
  timeout: z.coerce.number().int().positive().default(180).describe('Seconds to wait for the controller to be a caught-up voter again.'),
  pause: z.coerce.number().int().nonnegative().default(0).describe('Seconds to wait once it is back, before the next controller goes down.'),
  force: z.boolean().default(false).describe('Restart even when another voter is missing or behind (the quorum may lose its majority).'),
});
type Args = z.output<typeof args>;

/** What apply takes from check: the unit, and the look at the quorum the check took just before (ms since the epoch). */
type Observed = TurnObserved & { look?: { quorum: Quorum; at: number } };

/** What rollback needs to move the controller back: its own args, and the release it came from. */
interface Undo {
  switched?: Pick<Args, 'node_id' | 'voters' | 'bootstrap_controller' | 'service' | 'config' | 'gate_timeout' | 'timeout'> & MovedRecord;
}

const ask = (shell: HostShell, a: Args): Promise<Quorum> => readQuorum(shell, { bootstrapControllers: bootstrapList(a.bootstrap_controller), ...(a.kafka_home ? { kafkaHome: a.kafka_home } : {}) });

const describeQuorum = (q: Quorum) => (q.leader === undefined ? 'no leader' : `leader ${q.leader}, voters ${q.voters.map((v) => `${v.id} (lag ${v.lag})`).join(', ')}`);

export default defineTask<typeof args, Observed, Undo>({
  name: 'kafka_controller_restart',
  description: 'Restart one KRaft controller safely: gate on the quorum, restart, wait until it is a caught-up voter again',
  doc: `One dedicated controller (\`process.roles=controller\`) of a rolling restart, from its own host
(the controllers asked directly with Kafka's DescribeQuorum through the host's SSH connection, or,
where its sshd forwards nothing, with \`kafka-metadata-quorum.sh --bootstrap-controller\` in \`kafka_home\`):

1. **Gate.** Waits up to \`gate_timeout\` seconds until the quorum has a leader and every other voter
   of \`voters\` is caught up (lag 0): with this one down the others still make a majority. Refuses
   after that; \`force: true\` restarts anyway.
2. **Restart** \`systemctl restart <service>\`.
3. **Wait** up to \`timeout\` seconds until the controller is a voter again with lag 0, and the quorum
   has a leader; then \`pause\` seconds.

A controller that is not running is left alone (ok). With \`skip_leader: true\` the quorum leader
(read at its turn) is left for a later step with \`leader_step: true\`, as for ZooKeeper's leader.
The restart is recorded on the host with the run's id, so a run killed after it and resumed goes on
waiting instead of restarting again. With \`switch_to\` (an upgrade) the restart is a move: stop, carry
\`config\` into the new release, point \`kafka_home\` at it, start; rollback moves it back the same way.

\`\`\`yaml
- name: Restart a controller and wait until it is caught up (not the quorum leader)
  hosts: controller
  throttle: 1
  become: true
  kafka_controller_restart:
    node_id: "{{broker_id}}"
    voters: [3001, 3002, 3003]
    bootstrap_controller: ctrl01:9093,ctrl02:9093,ctrl03:9093
    service: kafka
    skip_leader: true
\`\`\``,
  args,
  probe: ({ args: a }) => turnProbe(a.service, kafkaMove(a)),
  async check(ctx, probed) {
    const a = ctx.args;
    const move = kafkaMove(a);
    const undo = (from: string): Undo =>
      move && from
        ? { switched: { node_id: a.node_id, voters: a.voters, bootstrap_controller: a.bootstrap_controller, service: a.service, config: a.config, gate_timeout: a.gate_timeout, timeout: a.timeout, link: move.link, from, to: move.release } }
        : {};
    const turn = observeTurn<Observed, Undo>(probed, a.service, restartScope(ctx, a.switch_to ?? a.roll), move, ctx.checkMode, undo);
    if (turn.decided) return turn.decided;
    const { unit, from, observed } = turn;
    const q = await ask(ctx.shell, a);
    if (unit.restartedInRoll) {
      const why = quorumNotBack(q, a.node_id);
      return why ? { inSync: false, observed, undo: undo(from), summary: `restarted in this run; wait until it is caught up: ${why}` } : { inSync: true, summary: 'restarted in this run and caught up' };
    }
    if (a.skip_leader && q.leader === a.node_id) return { inSync: true, summary: 'the quorum leader: restarted last, by a step of its own' };
    // Under --check the step before restarted no one: a follower here is one it would have restarted.
    if (a.leader_step && ctx.checkMode && q.leader !== a.node_id) return { inSync: true, summary: 'a follower: restarted by the step before' };
    const what = move ? `move controller ${a.node_id} from ${from} to ${move.release}: stop, switch, start` : `restart ${a.service}`;
    const why = quorumGate(q, a.node_id, a.voters);
    return { inSync: false, observed: { ...observed, look: { quorum: q, at: Date.now() } }, undo: undo(from), summary: why ? `${what}, but not now: ${why}` : `${what} (${describeQuorum(q)})` };
  },
  async apply(ctx, observed) {
    const a = ctx.args;
    await applyTurn(ctx, observed!, a.switch_to ?? a.roll, turnSpec(ctx.shell, a, observed?.look), kafkaMove(a));
  },
  async undo(ctx, record) {
    const s = record.switched;
    // A plain restart leaves nothing behind to put back.
    if (!s) return;
    const a = args.parse({ node_id: s.node_id, voters: s.voters, bootstrap_controller: s.bootstrap_controller, service: s.service, config: s.config, gate_timeout: s.gate_timeout, timeout: s.timeout, kafka_home: s.link, switch_to: s.from });
    await undoMove(ctx, s, kafkaMove(a)!, turnSpec(ctx.shell, a));
  },
  drift: (ctx, record) => (record.switched ? moveDrift(ctx.shell, record.switched, KAFKA_JAR_TAIL) : Promise.resolve(undefined)),
});

/**
 * One controller's turn: gated on the rest of the quorum, back once it is a caught-up voter. The
 * gate's first look is `look` (the check's) while it is fresh.
 */
function turnSpec(shell: HostShell, a: Args, look?: Observed['look']): TurnSpec {
  let checked = look && Date.now() - look.at < FRESH_LOOK_MS ? look.quorum : undefined;
  return {
    who: `controller ${a.node_id}`,
    gateTimeout: a.gate_timeout,
    timeout: a.timeout,
    pause: a.pause,
    force: a.force,
    async gate() {
      const why = quorumGate(checked ?? (await ask(shell, a)), a.node_id, a.voters);
      checked = undefined;
      return { why, settled: false };
    },
    refusalHint: 'start the controllers that are missing, or restart anyway with force (the quorum may lose its majority meanwhile)',
    back: async () =>
      (await listenersOpen(shell, a.kafka_home, a.config)) === false ? `controller ${a.node_id} does not listen yet` : quorumNotBack(await ask(shell, a), a.node_id),
  };
}
