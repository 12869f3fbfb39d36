// zookeeper_restart: one member of a rolling restart of a ZooKeeper ensemble. A gate first (every
// other member serving, so the ensemble keeps its quorum while this one is down), then the
// restart, then a wait until the member serves again and the ensemble has a leader. Followers go
// first (`skip_leader`), the leader last; with `switch_to` it is one member of an upgrade (the
// install link moves to the new release while the member is stopped). A member is restarted at
// most once per roll of a run, also across a kill -9 and `runbook resume` (sdk/restart.ts).

import {
  defineTask, z, TaskError, restartScope, installFileArg, unitArg, observeTurn, turnProbe, applyTurn, undoMove, moveDrift, parseSrvr, srvrScript,
  type HostShell, type Move, type MovedRecord, type TurnSpec, type TurnObserved,
} from 'runbook';

const member = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d+$/, 'host:port');

const args = z.strictObject({
  members: z
    .union([z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d+(,[A-Za-z0-9.\-_[\]:]+:\d+)*$/, 'host:port, or several joined with commas'), z.array(member).min(1)])
    .transform((m) => (Array.isArray(m) ? m : m.split(',')))
    .describe('Every member of the ensemble as host:client-port (a list, or joined with commas), this one included.'),
  self: member.describe('This member, as it appears in members.'),
  service: unitArg.default('zookeeper').describe("The member's systemd unit."),
  skip_leader: z.boolean().default(false).describe('Leave the member alone while it is the leader (read at its turn): the leader goes last, in a step of its own.'),
  leader_step: z.boolean().default(false).describe('The step after the skip_leader one: --check shows only the leader restarting; a run also restarts a member the earlier step left (leadership moved).'),
  gate_timeout: z.coerce.number().int().nonnegative().default(120).describe('Seconds the gate waits for every other member to serve before it refuses.'),
  timeout: z.coerce.number().int().positive().default(120).describe('Seconds to wait for the member to serve again.'),
  pause: z.coerce.number().int().nonnegative().default(0).describe('Seconds to wait once it serves, before the next member goes down.'),
  force: z.boolean().default(false).describe('Restart even when another member is not serving (the ensemble may lose its quorum).'),
  config: installFileArg.default('conf/zoo.cfg').describe('The config file inside the install that switch_to carries into the new release (conf/zoo1.cfg for an instance).'),
  zookeeper_home: z.string().regex(/^\//, 'an absolute path').optional().describe('The install link the member starts from (/home/kafka/zookeeper); needed by switch_to.'),
  switch_to: z
    .string()
    .regex(/^\//, 'an absolute path')
    .optional()
    .describe('A release directory to move the member to (an upgrade): at its turn, zookeeper_home is pointed at it while the member is stopped, conf/zoo.cfg carried over. Undo points it back, one member at a time.'),
});
type Args = z.output<typeof args>;

type Observed = TurnObserved;

/** What rollback needs to move the member back: its own args, and the release it came from. */
interface Undo {
  switched?: Pick<Args, 'members' | 'self' | 'service' | 'gate_timeout' | 'timeout'> & Partial<Pick<Args, 'config'>> & MovedRecord;
}

/** The jar every ZooKeeper release holds open, in the directory that names the release. */
const ZOOKEEPER_JAR_TAIL = '/lib/zookeeper-[0-9][^/]*\\.jar';

/** The move switch_to asks for; the member's zoo.cfg goes with it. */
function moveOf(a: Args): Move | undefined {
  if (!a.switch_to) return undefined;
  if (!a.zookeeper_home) throw new TaskError('switch_to needs zookeeper_home: the install link the member starts from (/home/kafka/zookeeper)');
  return { link: a.zookeeper_home, release: a.switch_to, unit: a.service, jarTail: ZOOKEEPER_JAR_TAIL, carry: a.config };
}

const SERVING = ['leader', 'follower', 'standalone'];

/** Each member's mode (undefined: no answer), asked from this host. */
async function modes(shell: HostShell, members: string[]): Promise<Map<string, string | undefined>> {
  const answers = await Promise.all(
    members.map(async (m) => {
      const i = m.lastIndexOf(':');
      const r = await shell.run(srvrScript(m.slice(0, i), Number(m.slice(i + 1)), 5), { check: false });
      return [m, parseSrvr(r.stdout).mode] as const;
    }),
  );
  return new Map(answers);
}

const describe = (ms: Map<string, string | undefined>) => [...ms].map(([m, mode]) => `${m} ${mode ?? 'no answer'}`).join(', ');

/** Why the others cannot lose this member now, or undefined. */
function gate(ms: Map<string, string | undefined>, self: string): string | undefined {
  const down = [...ms].filter(([m, mode]) => m !== self && !SERVING.includes(mode ?? ''));
  return down.length ? `other members are not serving: ${describe(new Map(down))}` : undefined;
}

/** Why the member is not back yet, or undefined once it serves and the ensemble has one leader. */
function notBack(ms: Map<string, string | undefined>, self: string): string | undefined {
  if (!SERVING.includes(ms.get(self) ?? '')) return `${self} is ${ms.get(self) ?? 'not answering'}`;
  const leaders = [...ms.values()].filter((m) => m === 'leader' || m === 'standalone').length;
  return leaders === 1 ? undefined : `the ensemble has ${leaders} leaders: ${describe(ms)}`;
}

export default defineTask<typeof args, Observed, Undo>({
  name: 'zookeeper_restart',
  description: 'Restart one ZooKeeper member safely: the others serving first, then wait until it rejoins',
  doc: `One member of a rolling restart, from the member's own host:

1. **Gate.** Waits up to \`gate_timeout\` seconds until every other member of \`members\` answers
   \`srvr\` as leader or follower (so the ensemble keeps its quorum without this one), else refuses;
   \`force: true\` restarts anyway.
2. **Restart** \`systemctl restart <service>\`.
3. **Wait** up to \`timeout\` seconds until the member serves again and the ensemble has exactly one
   leader; then \`pause\` seconds.

With \`switch_to\` (an upgrade) the restart is a move: stop, carry \`conf/zoo.cfg\` into the new
release, point \`zookeeper_home\` at it, start. Which release a member runs is read from the jar its
process holds open; a member on the wanted release already is left alone. Undo moves it back.

A member that is not running is left alone (ok). With \`skip_leader: true\` the current leader (read
at its turn) is left for a later step: run the step for the followers, then again without it,
with \`leader_step: true\`, which restarts only the leader since the followers were restarted in this
run already (and, if the leadership moved meanwhile, the member the first step left).

\`\`\`yaml
- name: Restart the followers, one at a time
  hosts: zookeeper
  throttle: 1
  become: true
  zookeeper_restart:
    members: kafka01:2181,kafka02:2181,kafka03:2181
    self: "{{inventory_hostname}}:2181"
    skip_leader: true
\`\`\``,
  args,
  probe: ({ args: a }) => turnProbe(a.service, moveOf(a)),
  async check(ctx, probed) {
    const a: Args = ctx.args;
    if (!a.members.includes(a.self)) throw new TaskError(`self (${a.self}) is not one of members (${a.members.join(', ')})`);
    const move = moveOf(a);
    const undo = (from: string): Undo =>
      move && from ? { switched: { members: a.members, self: a.self, service: a.service, config: a.config, gate_timeout: a.gate_timeout, timeout: a.timeout, link: move.link, from, to: move.release } } : {};
    const turn = observeTurn<Observed, Undo>(probed, a.service, restartScope(ctx, a.switch_to), move, ctx.checkMode, undo);
    if (turn.decided) return turn.decided;
    const { unit, from, observed } = turn;
    const ms = await modes(ctx.shell, a.members);
    if (unit.restartedInRoll) {
      const why = notBack(ms, a.self);
      return why ? { inSync: false, observed, undo: undo(from), summary: `restarted in this run; wait until it serves: ${why}` } : { inSync: true, summary: 'restarted in this run and serving' };
    }
    if (a.skip_leader && ms.get(a.self) === 'leader') return { inSync: true, summary: 'the leader: restarted last, by a step of its own' };
    // Under --check the step before restarted no one: a follower here is one it would have restarted.
    if (a.leader_step && ctx.checkMode && ms.get(a.self) !== 'leader') return { inSync: true, summary: 'a follower: restarted by the step before' };
    const what = move ? `move ${a.self} from ${from} to ${move.release}: stop, switch, start` : `restart ${a.service}`;
    const why = gate(ms, a.self);
    return { inSync: false, observed, undo: undo(from), summary: why ? `${what}, but not now: ${why}` : `${what} (${describe(ms)})` };
  },
  async apply(ctx, observed) {
    const a: Args = ctx.args;
    await applyTurn(ctx, observed!, a.switch_to ?? '', turnSpec(ctx.shell, a), moveOf(a));
  },
  async undo(ctx, record) {
    const s = record.switched;
    // A plain restart leaves nothing behind to put back.
    if (!s) return;
    const a = args.parse({ members: s.members, self: s.self, service: s.service, config: s.config, gate_timeout: s.gate_timeout, timeout: s.timeout, zookeeper_home: s.link, switch_to: s.from });
    await undoMove(ctx, s, moveOf(a)!, turnSpec(ctx.shell, a));
  },
  drift: (ctx, record) => (record.switched ? moveDrift(ctx.shell, record.switched, ZOOKEEPER_JAR_TAIL) : Promise.resolve(undefined)),
});

/** One member's turn: gated on every other member serving, back once it serves and the ensemble has one leader. */
function turnSpec(shell: HostShell, a: Args): TurnSpec {
  return {
    who: a.self,
    gateTimeout: a.gate_timeout,
    timeout: a.timeout,
    pause: a.pause,
    force: a.force,
    async gate() {
      const why = gate(await modes(shell, a.members), a.self);
      return { why, settled: why === undefined };
    },
    refusalHint: 'start the members that are not serving first, or restart anyway with force (the ensemble may lose its quorum meanwhile)',
    back: async () => notBack(await modes(shell, a.members), a.self),
    pollSeconds: 2,
  };
}
