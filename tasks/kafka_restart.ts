// kafka_restart: one broker of a rolling restart. A gate first (nothing offline or
// under-replicated, and no partition that would fall under min.insync.replicas with this broker
// down), then the restart, then a wait until the broker is back in the ISR of every partition it
// replicates and nothing is under-replicated. With `throttle: 1` (and the controller last, see
// runbooks/rolling-restart.yaml) it is the whole safe roll; with `switch_to` it is one broker of an
// upgrade (the install link moves to the new release while the broker is stopped). A broker is
// restarted at most once per roll of a run, also when runbook was killed after the restart and
// resumed (sdk/restart.ts).

import {
  defineTask, z, sh, sleep, waitUntil, TaskError, probeUnitRestart, restartScope, restartUnit, unitArg, splitSections,
  SECTION_FUNCTION, probeInstall, switchInstall, carryFile, releaseLeft, expectMoved, type HostShell, type UnitRestartState, type InstallSwitch,
} from 'runbook';
import { bootstrapArg, bootstrapList, findKafka, kafkaHomeArg } from './kafka/cli.js';
import { notCaughtUp, parseDescribe, partitionStates, refusal, restartRisks, label, type PartitionState } from './kafka/health.js';

const args = z.strictObject({
  broker_id: z.coerce.number().int().nonnegative().describe("This host's broker.id."),
  bootstrap_server: bootstrapArg.describe('The cluster: every broker (host:port, a comma-joined list or a list), asked for partition state while this one restarts.'),
  service: unitArg.default('kafka').describe("The broker's systemd unit."),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh).'),
  gate_timeout: z.coerce.number().int().nonnegative().default(120).describe('Seconds the gate waits for offline or under-replicated partitions to recover before it refuses.'),
  timeout: z.coerce.number().int().positive().default(300).describe('Seconds to wait for the restarted broker to be back in every ISR.'),
  pause: z.coerce.number().int().nonnegative().default(0).describe('Seconds to wait once the broker is back, before the next one goes down.'),
  force: z.boolean().default(false).describe('Restart even when the gate refuses (partitions would go offline or under min.insync.replicas).'),
  skip_controller: z.boolean().default(false).describe('Leave the broker alone while it is the active controller (read from ZooKeeper at its turn): the controller goes last, in a step of its own.'),
  controller_step: z.boolean().default(false).describe('The step after the skip_controller one: --check shows only the controller restarting; a run also restarts a broker the earlier step left (the controller moved).'),
  switch_to: z
    .string()
    .regex(/^\//, 'an absolute path')
    .optional()
    .describe('A release directory to move the broker to (an upgrade): at its turn, kafka_home (the install link) is pointed at it while the broker is stopped. Undo points it back, one broker at a time.'),
});
type Args = z.output<typeof args>;

interface Observed {
  unit: UnitRestartState;
  /** The release the broker leaves (switch_to). */
  from?: string;
}

/** What rollback needs to move the broker back: its own args, and the release it came from. */
interface Undo {
  switched?: Pick<Args, 'broker_id' | 'bootstrap_server' | 'service' | 'gate_timeout' | 'timeout'> & { link: string; from: string; to: string };
}

/** The jar every Kafka release holds open, in the directory that names the release. */
const KAFKA_JAR_TAIL = '/libs/kafka-clients-[^/]*\\.jar';

function switchOf(a: Args): InstallSwitch | undefined {
  if (!a.switch_to) return undefined;
  if (!a.kafka_home) throw new TaskError('switch_to needs kafka_home: the install link the broker starts from (/home/kafka/kafka)');
  return { link: a.kafka_home, release: a.switch_to, unit: a.service, jarTail: KAFKA_JAR_TAIL };
}

interface Cluster {
  partitions: PartitionState[];
  /** Broker ids that answer (kafka-broker-api-versions.sh). */
  alive: number[];
  /** The active controller's broker id (ZooKeeper's /controller), when asked. */
  controller?: number;
}

/** Partition state and live brokers, asked from this host with Kafka's own tools (one round trip). */
async function cluster(shell: HostShell, a: Args, withController = false): Promise<Cluster> {
  const controller = withController
    ? sh`rb_section controller
zc=$(sed -n 's/^zookeeper\\.connect=//p' "$k/config/server.properties" | tail -n 1)
"$k/bin/zookeeper-shell.sh" "$zc" get /controller 2>/dev/null | sed -n 's/.*"brokerid":\\([0-9]*\\).*/\\1/p'`
    : sh``;
  const r = await shell.run(sh`${SECTION_FUNCTION}${findKafka(a.kafka_home)}
b=${bootstrapList(a.bootstrap_server)}
rb_section minisr; sed -n 's/^min\\.insync\\.replicas=//p' "$k/config/server.properties" 2>/dev/null | tail -n 1
rb_section describe; out=$("$k/bin/kafka-topics.sh" --bootstrap-server "$b" --describe 2>&1); rc=$?; printf '%s\\n' "$out"
rb_section describe-rc; echo "$rc"
rb_section alive; "$k/bin/kafka-broker-api-versions.sh" --bootstrap-server "$b" 2>/dev/null | sed -n 's/.* (id: \\([0-9]*\\) rack: .*/\\1/p'
${controller}`);
  const sections = splitSections(r.stdout);
  if ((sections.get('describe-rc') ?? '').trim() !== '0') {
    throw new TaskError(`cannot read the partitions from ${bootstrapList(a.bootstrap_server)}: ${(sections.get('describe') ?? '').trim().split('\n').slice(-1)[0]}`);
  }
  const defaultMinIsr = Number((sections.get('minisr') ?? '').trim() || 1);
  const controllerId = (sections.get('controller') ?? '').trim();
  if (withController && !controllerId) throw new TaskError('cannot tell which broker is the active controller (no /controller in ZooKeeper)');
  return {
    partitions: partitionStates(parseDescribe(sections.get('describe') ?? ''), defaultMinIsr),
    alive: (sections.get('alive') ?? '').split('\n').filter(Boolean).map(Number),
    ...(controllerId ? { controller: Number(controllerId) } : {}),
  };
}

/** Why the broker is not back yet, or undefined once it answers, is in every ISR and nothing is under-replicated. */
function notBack(c: Cluster, broker: number): string | undefined {
  if (!c.alive.includes(broker)) return `broker ${broker} does not answer yet`;
  const missing = notCaughtUp(c.partitions, broker);
  if (missing.length) return `broker ${broker} is not yet in the ISR of ${missing.length} partition(s): ${missing.slice(0, 10).map(label).join(', ')}`;
  return refusal({ ...restartRisks(c.partitions, broker), belowMinIsr: [] });
}

export default defineTask<typeof args, Observed, Undo>({
  name: 'kafka_restart',
  description: 'Restart one Kafka broker safely: gate on partition health, restart, wait until it is back in every ISR',
  doc: `One broker of a rolling restart, from the broker's own host (Kafka's tools in \`kafka_home\`):

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
  async check(ctx) {
    const a = ctx.args;
    const unit = await probeUnitRestart(ctx.shell, a.service, restartScope(ctx, a.switch_to));
    const sw = switchOf(a);
    const install = sw ? await probeInstall(ctx.shell, sw, ctx.checkMode) : undefined;
    const from = install ? releaseLeft(install, unit) : '';
    const undo: Undo = sw && from ? { switched: { broker_id: a.broker_id, bootstrap_server: a.bootstrap_server, service: a.service, gate_timeout: a.gate_timeout, timeout: a.timeout, link: sw.link, from, to: sw.release } } : {};
    const observed: Observed = { unit, ...(from ? { from } : {}) };
    if (!unit.active && !unit.restartedInRoll) {
      if (install && install.linked !== install.wanted) {
        return { inSync: false, observed, undo, summary: `${a.service} is not running: point ${sw!.link} at ${sw!.release} (it runs that release when started)` };
      }
      return { inSync: true, summary: `${a.service} is not running: nothing to restart` };
    }
    if (install && !unit.restartedInRoll && install.running === install.wanted) return { inSync: true, summary: `runs ${sw!.release} already` };
    if (unit.restartedInRoll && !unit.active) {
      return { inSync: false, observed, undo, summary: `stopped by this roll and not started again: start ${a.service}${sw ? ` on ${sw.release}` : ''} and wait until it is back` };
    }
    const c = await cluster(ctx.shell, a, (a.skip_controller || a.controller_step) && !unit.restartedInRoll);
    if (a.skip_controller && c.controller === a.broker_id && !unit.restartedInRoll) {
      return { inSync: true, summary: `the active controller: restarted last, by a step of its own` };
    }
    // Under --check the step before restarted no one: a broker here is one it would have restarted.
    if (a.controller_step && ctx.checkMode && c.controller !== a.broker_id) return { inSync: true, summary: 'not the controller: restarted by the step before' };
    if (unit.restartedInRoll) {
      const why = notBack(c, a.broker_id);
      if (!why) return { inSync: true, summary: `restarted in this run and back in every ISR` };
      return { inSync: false, observed, undo, summary: `restarted in this run; wait until it is back: ${why}` };
    }
    const what = sw ? `move broker ${a.broker_id} from ${from} to ${sw.release}: stop, switch, start` : `restart ${a.service}`;
    const why = refusal(restartRisks(c.partitions, a.broker_id));
    return { inSync: false, observed, undo, summary: why ? `${what}, but not now: ${why}` : `${what} (no partition at risk)` };
  },
  async apply(ctx, observed) {
    const a = ctx.args;
    const sw = switchOf(a);
    await roll(ctx.shell, a, observed!.unit, restartScope(ctx, a.switch_to), ctx.signal, ctx.log, sw && { link: sw.link, release: sw.release, from: observed!.from ?? '' });
    if (sw) await expectMoved(ctx.shell, sw, observed!.unit.active || observed!.unit.restartedInRoll);
  },
  async undo(ctx, record) {
    const s = record.switched;
    // A plain restart leaves nothing behind to put back.
    if (!s) return;
    const a = args.parse({
      broker_id: s.broker_id,
      bootstrap_server: s.bootstrap_server,
      service: s.service,
      gate_timeout: s.gate_timeout,
      timeout: s.timeout,
      kafka_home: s.link,
      switch_to: s.from,
    });
    const sw = switchOf(a)!;
    // The way back is a roll of its own (ctx.controller.runId is the run being rolled back).
    const scope = restartScope(ctx, `back to ${s.from}`);
    const unit = await probeUnitRestart(ctx.shell, a.service, scope);
    const install = await probeInstall(ctx.shell, sw);
    const back = unit.active ? install.running === install.wanted : install.linked === install.wanted;
    if (!back || unit.restartedInRoll) {
      ctx.log(`moving broker ${a.broker_id} back to ${s.from}`);
      await roll(ctx.shell, a, unit, scope, ctx.signal, ctx.log, { link: sw.link, release: sw.release, from: s.to });
    }
    await expectMoved(ctx.shell, sw, unit.active || unit.restartedInRoll);
  },
  async drift(ctx, record) {
    const s = record.switched;
    if (!s) return undefined;
    const install = await probeInstall(ctx.shell, { link: s.link, release: s.to, unit: s.service, jarTail: KAFKA_JAR_TAIL }).catch(() => undefined);
    if (!install) return `${s.to} is gone`;
    if (install.linked !== install.wanted && install.linked !== s.from) return `${s.link} now points to ${install.linked || 'nothing'}, not ${s.to}`;
    return undefined;
  },
});

/**
 * One broker's turn: the gate, the restart (with the install switched while it is stopped), the
 * wait until it is back in every ISR, the pause. A broker this roll restarted already (a resumed
 * run) is only waited for; one it stopped is started.
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
      // The broker's settings (and an upgrade's pinned protocol) go with it.
      await carryFile(shell, move.link, move.release, 'config/server.properties');
      await switchInstall(shell, move.link, move.release);
    });
  if (!unit.restartedInRoll && unit.active) {
    let why: string | undefined;
    await waitUntil(
      a.gate_timeout,
      signal,
      async () => {
        const risks = restartRisks((await cluster(shell, a)).partitions, a.broker_id);
        why = refusal(risks);
        // Under min ISR with everything in sync is how the topics are laid out: waiting cannot help.
        const settled = risks.offline.length === 0 && risks.underReplicated.length === 0;
        return settled || a.force ? true : undefined;
      },
      () => `not restarting broker ${a.broker_id}: ${why} (still, after ${a.gate_timeout} s)`,
    );
    if (why && !a.force) {
      throw new TaskError(`not restarting broker ${a.broker_id}: ${why}`, { hint: 'fix the topics (replication factor above min.insync.replicas), or restart anyway with force (the partitions named go offline or reject acks=all writes meanwhile)' });
    }
    if (why) log(`restarting despite the gate (force): ${why}`);
    await restartUnit(shell, unit, scope, { whileStopped, note: move?.from });
  } else if (!unit.active) {
    // Not running: a broker someone stopped only gets its link; one this roll stopped is started.
    if (!unit.restartedInRoll) return void (await whileStopped?.());
    await restartUnit(shell, unit, scope, { whileStopped: whileStopped ?? (async () => {}), note: move?.from });
  }
  let why: string | undefined = 'no answer yet';
  await waitUntil(
    a.timeout,
    signal,
    async () => {
      why = notBack(await cluster(shell, a).catch((): Cluster => ({ partitions: [], alive: [] })), a.broker_id);
      return why === undefined ? true : undefined;
    },
    () => `broker ${a.broker_id} is not back after ${a.timeout} s: ${why}`,
  );
  if (a.pause > 0) await sleep(a.pause * 1000, signal);
}
