// zookeeper_restart: one member of a rolling restart of a ZooKeeper ensemble. A gate first (every
// other member serving, so the ensemble keeps its quorum while this one is down), then the
// restart, then a wait until the member serves again and the ensemble has a leader. Followers go
// first (`skip_leader`), the leader last; with `switch_to` it is one member of an upgrade (the
// install link moves to the new release while the member is stopped). A member is restarted at
// most once per roll of a run, also across a kill -9 and `runbook resume` (sdk/restart.ts).

import {
  defineTask, z, sleep, waitUntil, TaskError, probeUnitRestart, restartScope, restartUnit, unitArg, probeInstall,
  switchInstall, carryFile, releaseLeft, expectMoved, type HostShell, type UnitRestartState, type InstallSwitch,
} from 'runbook';
import { parseSrvr, srvrScript } from './zookeeper/srvr.js';

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
  zookeeper_home: z.string().regex(/^\//, 'an absolute path').optional().describe('The install link the member starts from (/home/kafka/zookeeper); needed by switch_to.'),
  switch_to: z
    .string()
    .regex(/^\//, 'an absolute path')
    .optional()
    .describe('A release directory to move the member to (an upgrade): at its turn, zookeeper_home is pointed at it while the member is stopped, conf/zoo.cfg carried over. Undo points it back, one member at a time.'),
});
type Args = z.output<typeof args>;

interface Observed {
  unit: UnitRestartState;
  /** The release the member leaves (switch_to). */
  from?: string;
}

/** What rollback needs to move the member back: its own args, and the release it came from. */
interface Undo {
  switched?: Pick<Args, 'members' | 'self' | 'service' | 'gate_timeout' | 'timeout'> & { link: string; from: string; to: string };
}

/** The jar every ZooKeeper release holds open, in the directory that names the release. */
const ZOOKEEPER_JAR_TAIL = '/lib/zookeeper-[0-9][^/]*\\.jar';

function switchOf(a: Args): InstallSwitch | undefined {
  if (!a.switch_to) return undefined;
  if (!a.zookeeper_home) throw new TaskError('switch_to needs zookeeper_home: the install link the member starts from (/home/kafka/zookeeper)');
  return { link: a.zookeeper_home, release: a.switch_to, unit: a.service, jarTail: ZOOKEEPER_JAR_TAIL };
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
  async check(ctx) {
    const a: Args = ctx.args;
    if (!a.members.includes(a.self)) throw new TaskError(`self (${a.self}) is not one of members (${a.members.join(', ')})`);
    const unit = await probeUnitRestart(ctx.shell, a.service, restartScope(ctx, a.switch_to));
    const sw = switchOf(a);
    const install = sw ? await probeInstall(ctx.shell, sw, ctx.checkMode) : undefined;
    const from = install ? releaseLeft(install, unit) : '';
    const undo: Undo = sw && from ? { switched: { members: a.members, self: a.self, service: a.service, gate_timeout: a.gate_timeout, timeout: a.timeout, link: sw.link, from, to: sw.release } } : {};
    const observed: Observed = { unit, ...(from ? { from } : {}) };
    if (!unit.active && !unit.restartedInRoll) {
      if (install && install.linked !== install.wanted) {
        return { inSync: false, observed, undo, summary: `${a.service} is not running: point ${sw!.link} at ${sw!.release} (it runs that release when started)` };
      }
      return { inSync: true, summary: `${a.service} is not running: nothing to restart` };
    }
    if (install && !unit.restartedInRoll && install.running === install.wanted) return { inSync: true, summary: `runs ${sw!.release} already` };
    if (unit.restartedInRoll && !unit.active) {
      return { inSync: false, observed, undo, summary: `stopped by this roll and not started again: start ${a.service}${sw ? ` on ${sw.release}` : ''} and wait until it serves` };
    }
    const ms = await modes(ctx.shell, a.members);
    if (unit.restartedInRoll) {
      const why = notBack(ms, a.self);
      return why ? { inSync: false, observed, undo, summary: `restarted in this run; wait until it serves: ${why}` } : { inSync: true, summary: 'restarted in this run and serving' };
    }
    if (a.skip_leader && ms.get(a.self) === 'leader') return { inSync: true, summary: 'the leader: restarted last, by a step of its own' };
    // Under --check the step before restarted no one: a follower here is one it would have restarted.
    if (a.leader_step && ctx.checkMode && ms.get(a.self) !== 'leader') return { inSync: true, summary: 'a follower: restarted by the step before' };
    const what = sw ? `move ${a.self} from ${from} to ${sw.release}: stop, switch, start` : `restart ${a.service}`;
    const why = gate(ms, a.self);
    return { inSync: false, observed, undo, summary: why ? `${what}, but not now: ${why}` : `${what} (${describe(ms)})` };
  },
  async apply(ctx, observed) {
    const a: Args = ctx.args;
    const sw = switchOf(a);
    await roll(ctx.shell, a, observed!.unit, restartScope(ctx, a.switch_to), ctx.signal, ctx.log, sw && { link: sw.link, release: sw.release, from: observed!.from ?? '' });
    if (sw) await expectMoved(ctx.shell, sw, observed!.unit.active || observed!.unit.restartedInRoll);
  },
  async undo(ctx, record) {
    const s = record.switched;
    // A plain restart leaves nothing behind to put back.
    if (!s) return;
    const a = args.parse({ members: s.members, self: s.self, service: s.service, gate_timeout: s.gate_timeout, timeout: s.timeout, zookeeper_home: s.link, switch_to: s.from });
    const sw = switchOf(a)!;
    // The way back is a roll of its own (ctx.controller.runId is the run being rolled back).
    const scope = restartScope(ctx, `back to ${s.from}`);
    const unit = await probeUnitRestart(ctx.shell, a.service, scope);
    const install = await probeInstall(ctx.shell, sw);
    const back = unit.active ? install.running === install.wanted : install.linked === install.wanted;
    if (!back || unit.restartedInRoll) {
      ctx.log(`moving ${a.self} back to ${s.from}`);
      await roll(ctx.shell, a, unit, scope, ctx.signal, ctx.log, { link: sw.link, release: sw.release, from: s.to });
    }
    await expectMoved(ctx.shell, sw, unit.active || unit.restartedInRoll);
  },
  async drift(ctx, record) {
    const s = record.switched;
    if (!s) return undefined;
    const install = await probeInstall(ctx.shell, { link: s.link, release: s.to, unit: s.service, jarTail: ZOOKEEPER_JAR_TAIL }).catch(() => undefined);
    if (!install) return `${s.to} is gone`;
    if (install.linked !== install.wanted && install.linked !== s.from) return `${s.link} now points to ${install.linked || 'nothing'}, not ${s.to}`;
    return undefined;
  },
});

/**
 * One member's turn: the gate, the restart (with the install switched while it is stopped), the
 * wait until it serves and the ensemble has one leader, the pause. A member this roll restarted
 * already (a resumed run) is only waited for; one it stopped is started.
 */
async function roll(
  shell: HostShell,
  a: Args,
  unit: UnitRestartState,
  scope: string,
  signal: AbortSignal,
  log: (m: string) => void,
  move?: { link: string; release: string; from: string },
): Promise<void> {
  const whileStopped =
    move &&
    (async () => {
      await carryFile(shell, move.link, move.release, 'conf/zoo.cfg');
      await switchInstall(shell, move.link, move.release);
    });
  if (!unit.restartedInRoll && unit.active) {
    let why: string | undefined;
    await waitUntil(
      a.force ? 0 : a.gate_timeout,
      signal,
      async () => ((why = gate(await modes(shell, a.members), a.self)) === undefined ? true : undefined),
      () => `not restarting ${a.self}: ${why} (still, after ${a.gate_timeout} s)`,
    ).catch((e: unknown) => {
      if (!a.force) throw e;
      log(`restarting despite the gate (force): ${why}`);
    });
    await restartUnit(shell, unit, scope, { whileStopped, note: move?.from });
  } else if (!unit.active) {
    // Not running: a member someone stopped only gets its link; one this roll stopped is started.
    if (!unit.restartedInRoll) return void (await whileStopped?.());
    await restartUnit(shell, unit, scope, { whileStopped: whileStopped ?? (async () => {}), note: move?.from });
  }
  let why: string | undefined;
  await waitUntil(
    a.timeout,
    signal,
    async () => ((why = notBack(await modes(shell, a.members), a.self)) === undefined ? true : undefined),
    () => `${a.self} does not serve after ${a.timeout} s: ${why}`,
    2000,
  );
  if (a.pause > 0) await sleep(a.pause * 1000, signal);
}
