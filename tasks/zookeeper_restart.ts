// zookeeper_restart: one member of a rolling restart of a ZooKeeper ensemble. A gate first (every
// other member serving, so the ensemble keeps its quorum while this one is down), then the
// restart, then a wait until the member serves again and the ensemble has a leader. Followers go
// first (`skip_leader`), the leader last; a member is restarted at most once per run, also
// across a kill -9 and `runbook resume` (sdk/restart.ts).

import {
  defineTask, z, sleep, waitUntil, TaskError, probeUnitRestart, restartUnit, unitArg, type HostShell,
  type UnitRestartState,
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
});
type Args = z.output<typeof args>;

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

export default defineTask<typeof args, { unit: UnitRestartState }>({
  name: 'zookeeper_restart',
  description: 'Restart one ZooKeeper member safely: the others serving first, then wait until it rejoins',
  doc: `One member of a rolling restart, from the member's own host:

1. **Gate.** Waits up to \`gate_timeout\` seconds until every other member of \`members\` answers
   \`srvr\` as leader or follower (so the ensemble keeps its quorum without this one), else refuses;
   \`force: true\` restarts anyway.
2. **Restart** \`systemctl restart <service>\`.
3. **Wait** up to \`timeout\` seconds until the member serves again and the ensemble has exactly one
   leader; then \`pause\` seconds.

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
    const unit = await probeUnitRestart(ctx.shell, a.service, ctx.controller.runId);
    if (!unit.active) return { inSync: true, summary: `${a.service} is not running: nothing to restart` };
    const ms = await modes(ctx.shell, a.members);
    if (unit.restartedThisRun) {
      const why = notBack(ms, a.self);
      return why ? { inSync: false, observed: { unit }, summary: `restarted in this run; wait until it serves: ${why}` } : { inSync: true, summary: 'restarted in this run and serving' };
    }
    if (a.skip_leader && ms.get(a.self) === 'leader') return { inSync: true, summary: 'the leader: restarted last, by a step of its own' };
    // Under --check the step before restarted no one: a follower here is one it would have restarted.
    if (a.leader_step && ctx.checkMode && ms.get(a.self) !== 'leader') return { inSync: true, summary: 'a follower: restarted by the step before' };
    const why = gate(ms, a.self);
    return { inSync: false, observed: { unit }, summary: why ? `restart ${a.service}, but not now: ${why}` : `restart ${a.service} (${describe(ms)})` };
  },
  async apply(ctx, observed) {
    const a: Args = ctx.args;
    const { unit } = observed!;
    if (!unit.restartedThisRun) {
      let why: string | undefined;
      await waitUntil(
        a.force ? 0 : a.gate_timeout,
        ctx.signal,
        async () => ((why = gate(await modes(ctx.shell, a.members), a.self)) === undefined ? true : undefined),
        () => `not restarting ${a.self}: ${why} (still, after ${a.gate_timeout} s)`,
      ).catch((e: unknown) => {
        if (!a.force) throw e;
        ctx.log(`restarting despite the gate (force): ${why}`);
      });
      await restartUnit(ctx.shell, unit, ctx.controller.runId);
    }
    let why: string | undefined;
    await waitUntil(
      a.timeout,
      ctx.signal,
      async () => ((why = notBack(await modes(ctx.shell, a.members), a.self)) === undefined ? true : undefined),
      () => `${a.self} does not serve after ${a.timeout} s: ${why}`,
      2000,
    );
    if (a.pause > 0) await sleep(a.pause * 1000, ctx.signal);
  },
});

