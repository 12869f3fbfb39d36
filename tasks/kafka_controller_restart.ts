// kafka_controller_restart: one dedicated KRaft controller of a rolling restart. A gate first (the
// quorum has a leader and every other voter is caught up, so it keeps its majority while this one
// is down), then the restart, then a wait until the controller is a voter again, caught up with the
// leader. Followers go first (`skip_leader`), the quorum leader last. A controller is restarted at
// most once per roll of a run, also across a kill -9 and `runbook resume` (sdk/restart.ts). Brokers,
// and nodes that are both, restart with kafka_restart.

import {
  defineTask, z, restartScope, unitArg, observeTurn, takeTurn, bootstrapArg, bootstrapList, kafkaHomeArg, readQuorum, quorumGate, quorumNotBack,
  type HostShell, type UnitRestartState, type Turn, type TurnObserved, type Quorum,
} from 'runbook';

const args = z.strictObject({
  node_id: z.coerce.number().int().nonnegative().describe("This controller's node.id."),
  voters: z
    .union([z.string().regex(/^\d+(,\d+)*$/, 'node ids joined with commas'), z.array(z.coerce.number().int().nonnegative()).min(1)])
    .transform((v) => (Array.isArray(v) ? v : v.split(',').map(Number)))
    .describe('The node ids of every controller of the quorum, this one included (a list, or joined with commas).'),
  bootstrap_controller: bootstrapArg.describe("Every controller's listener (host:port, a comma-joined list or a list), asked for the quorum's state."),
  service: unitArg.default('kafka').describe("The controller's systemd unit."),
  kafka_home: kafkaHomeArg.describe('The Kafka install whose tools ask the quorum (default: $KAFKA_HOME, ~/kafka or /opt/kafka).'),
  roll: z.string().default('').describe('A name for this roll, when one run rolls the same nodes more than once (migrate-to-kraft: once per phase): a node restarts at most once per roll of a run.'),
  skip_leader: z.boolean().default(false).describe('Leave the controller alone while it leads the quorum (read at its turn): the leader goes last, in a step of its own.'),
  leader_step: z.boolean().default(false).describe('The step after the skip_leader one: --check shows only the leader restarting; a run also restarts a controller the earlier step left (leadership moved).'),
  gate_timeout: z.coerce.number().int().nonnegative().default(120).describe('Seconds the gate waits for every other voter to be caught up before it refuses.'),
  timeout: z.coerce.number().int().positive().default(180).describe('Seconds to wait for the controller to be a caught-up voter again.'),
  pause: z.coerce.number().int().nonnegative().default(0).describe('Seconds to wait once it is back, before the next controller goes down.'),
  force: z.boolean().default(false).describe('Restart even when another voter is missing or behind (the quorum may lose its majority).'),
});
type Args = z.output<typeof args>;

const ask = (shell: HostShell, a: Args): Promise<Quorum> => readQuorum(shell, { bootstrapControllers: bootstrapList(a.bootstrap_controller), ...(a.kafka_home ? { kafkaHome: a.kafka_home } : {}) });

const describeQuorum = (q: Quorum) => (q.leader === undefined ? 'no leader' : `leader ${q.leader}, voters ${q.voters.map((v) => `${v.id} (lag ${v.lag})`).join(', ')}`);

export default defineTask<typeof args, TurnObserved, Record<string, never>>({
  name: 'kafka_controller_restart',
  description: 'Restart one KRaft controller safely: gate on the quorum, restart, wait until it is a caught-up voter again',
  doc: `One dedicated controller (\`process.roles=controller\`) of a rolling restart, from its own host
(Kafka's tools in \`kafka_home\`, asking the controllers directly with \`--bootstrap-controller\`):

1. **Gate.** Waits up to \`gate_timeout\` seconds until the quorum has a leader and every other voter
   of \`voters\` is caught up (lag 0): with this one down the others still make a majority. Refuses
   after that; \`force: true\` restarts anyway.
2. **Restart** \`systemctl restart <service>\`.
3. **Wait** up to \`timeout\` seconds until the controller is a voter again with lag 0, and the quorum
   has a leader; then \`pause\` seconds.

A controller that is not running is left alone (ok). With \`skip_leader: true\` the quorum leader
(read at its turn) is left for a later step with \`leader_step: true\`, as for ZooKeeper's leader.
The restart is recorded on the host with the run's id, so a run killed after it and resumed goes on
waiting instead of restarting again.

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
  async check(ctx) {
    const a = ctx.args;
    const turn = await observeTurn<TurnObserved, Record<string, never>>(ctx.shell, a.service, restartScope(ctx, a.roll), undefined, ctx.checkMode, () => ({}));
    if (turn.decided) return turn.decided;
    const { unit, observed } = turn;
    const q = await ask(ctx.shell, a);
    if (unit.restartedInRoll) {
      const why = quorumNotBack(q, a.node_id);
      return why ? { inSync: false, observed, undo: {}, summary: `restarted in this run; wait until it is caught up: ${why}` } : { inSync: true, summary: 'restarted in this run and caught up' };
    }
    if (a.skip_leader && q.leader === a.node_id) return { inSync: true, summary: 'the quorum leader: restarted last, by a step of its own' };
    // Under --check the step before restarted no one: a follower here is one it would have restarted.
    if (a.leader_step && ctx.checkMode && q.leader !== a.node_id) return { inSync: true, summary: 'a follower: restarted by the step before' };
    const why = quorumGate(q, a.node_id, a.voters);
    return { inSync: false, observed, undo: {}, summary: why ? `restart ${a.service}, but not now: ${why}` : `restart ${a.service} (${describeQuorum(q)})` };
  },
  async apply(ctx, observed) {
    await takeTurn(turnOf(ctx.shell, ctx.args, observed!.unit, restartScope(ctx, ctx.args.roll), ctx.signal, ctx.log));
  },
  // A restart leaves nothing behind to put back.
  async undo() {},
});

/** One controller's turn: gated on the rest of the quorum, back once it is a caught-up voter. */
function turnOf(shell: HostShell, a: Args, unit: UnitRestartState, scope: string, signal: AbortSignal, log: (m: string) => void): Turn {
  return {
    shell,
    unit,
    scope,
    signal,
    log,
    who: `controller ${a.node_id}`,
    gateTimeout: a.gate_timeout,
    timeout: a.timeout,
    pause: a.pause,
    force: a.force,
    async gate() {
      const why = quorumGate(await ask(shell, a), a.node_id, a.voters);
      return { why, settled: false };
    },
    refusalHint: 'start the controllers that are missing, or restart anyway with force (the quorum may lose its majority meanwhile)',
    back: async () => quorumNotBack(await ask(shell, a), a.node_id),
    pollSeconds: 2,
  };
}
