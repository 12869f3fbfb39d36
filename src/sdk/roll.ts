// One host's turn in a rolling operation, whatever the service: what a task of the kind of
// kafka_restart or zookeeper_restart shares. The task says how to read its cluster (the gate
// before the host goes down, whether it is back); this module does the rest: the restart, or for
// an upgrade the move (stop, carry the config file over, switch the install link, start), at most
// once per roll (sdk/restart.ts), and the way back for rollback.

import { TaskError } from '../errors.js';
import type { CheckResult } from '../task/types.js';
import type { HostShell } from '../transport/host.js';
import { sh, type ShellText } from '../shell/quote.js';
import { carryFile, expectMoved, installFound, installProbe, probeInstall, releaseLeft, switchInstall, type InstallState, type InstallSwitch } from './install-switch.js';
import { parseUnitRestart, probeUnitRestart, restartScope, restartUnit, unitRestartProbe, type UnitRestartState } from './restart.js';
import { sleep, waitUntil } from './wait.js';

/** An upgrade's move: the install link, the release to point it at, and the config file that goes along. */
export interface Move extends InstallSwitch {
  /** The config file carried into the new release, relative to the release (`config/server.properties`). */
  carry: string;
}

/** What a rolling task's apply gets from its check: the unit, and the release a move leaves. */
export interface TurnObserved {
  unit: UnitRestartState;
  from?: string;
}

/** What rollback needs to move a host back. */
export interface MovedRecord {
  link: string;
  from: string;
  to: string;
  service: string;
}

export interface Turn {
  shell: HostShell;
  unit: UnitRestartState;
  scope: string;
  signal: AbortSignal;
  log(message: string): void;
  /** Who goes down, in messages: `broker 2`, `kafka02:2181`. */
  who: string;
  gateTimeout: number;
  timeout: number;
  pause: number;
  force: boolean;
  /** Why the host may not go down now; `settled`: waiting will not change that. */
  gate(): Promise<{ why?: string; settled: boolean }>;
  /** What to do about a gate that refuses. */
  refusalHint: string;
  /** Why the host is not back yet, or undefined once it is. */
  back(): Promise<string | undefined>;
  /** Seconds between looks at `back` (default 1: a look at a Kafka cluster takes a second or two itself, the JVM of Kafka's tools). */
  pollSeconds?: number;
  /** An upgrade's move, and the release it leaves (recorded with the restart marker). */
  move?: Move & { from: string };
}

/**
 * The gate, the restart (the move, for an upgrade), the wait until the host is back, the pause. A
 * host this roll restarted already (a resumed run) is only waited for; one it stopped, started.
 * A host someone else stopped is not started: a move only switches its link.
 */
export async function takeTurn(t: Turn): Promise<void> {
  const { move } = t;
  const whileStopped =
    move &&
    (async () => {
      await carryFile(t.shell, move.link, move.release, move.carry);
      await switchInstall(t.shell, move.link, move.release);
    });
  if (t.unit.active && !t.unit.restartedInRoll) {
    let why: string | undefined;
    await waitUntil(
      t.force ? 0 : t.gateTimeout,
      t.signal,
      async () => {
        const g = await t.gate();
        why = g.why;
        return why === undefined || g.settled ? true : undefined;
      },
      () => `not restarting ${t.who}: ${why} (still, after ${t.gateTimeout} s)`,
    ).catch((e: unknown) => {
      if (!t.force || t.signal.aborted) throw e;
    });
    if (why && !t.force) throw new TaskError(`not restarting ${t.who}: ${why}`, { hint: t.refusalHint });
    if (why) t.log(`restarting despite the gate (force): ${why}`);
    await restartUnit(t.shell, t.unit, t.scope, { whileStopped, note: move?.from });
  } else if (!t.unit.active) {
    if (!t.unit.restartedInRoll) return void (await whileStopped?.());
    await restartUnit(t.shell, t.unit, t.scope, { whileStopped: whileStopped ?? (async () => {}), note: move?.from });
  }
  let why: string | undefined = 'no answer yet';
  await waitUntil(
    t.timeout,
    t.signal,
    async () => ((why = await t.back()) === undefined ? true : undefined),
    () => `${t.who} is not back after ${t.timeout} s: ${why}`,
    (t.pollSeconds ?? 1) * 1000,
  );
  if (t.pause > 0) await sleep(t.pause * 1000, t.signal);
  if (move) await expectMoved(t.shell, move, t.unit.active || t.unit.restartedInRoll);
}

/** What a rolling task's check finds before it asks the cluster anything. */
export interface TurnState<Observed, Undo> {
  unit: UnitRestartState;
  install?: InstallState;
  /** The release a move leaves; '' without a move, or on the wanted release already. */
  from: string;
  /** What apply needs: the unit, and the release left. */
  observed: Observed;
  /** Decided without the cluster: not running, on the wanted release, or stopped by this roll. */
  decided?: CheckResult<Observed, Undo>;
}

/** A rolling task's probe: the unit and, for a move, the install (read back by observeTurn). */
export function turnProbe(unitName: string, move: Move | undefined): ShellText {
  return move ? sh`${unitRestartProbe(unitName)}\n${installProbe(move)}` : unitRestartProbe(unitName);
}

/**
 * The first half of a rolling task's check, from what turnProbe found: the unit (and, for a move,
 * the install), and the cases that need no cluster state. Under --check a release not there yet
 * counts as not linked.
 */
export function observeTurn<Observed extends TurnObserved, Undo>(
  probed: string,
  unitName: string,
  scope: string,
  move: Move | undefined,
  checkMode: boolean,
  undo: (from: string) => Undo,
): TurnState<Observed, Undo> {
  const unit = parseUnitRestart(probed, unitName, scope);
  const install = move ? installFound(probed, move, checkMode) : undefined;
  const from = install ? releaseLeft(install, unit) : '';
  const observed = { unit, ...(from ? { from } : {}) } as Observed;
  const state: TurnState<Observed, Undo> = { unit, install, from, observed };
  if (!unit.active && !unit.restartedInRoll) {
    state.decided =
      install && install.linked !== install.wanted
        ? { inSync: false, observed, undo: undo(from), summary: `${unitName} is not running: point ${move!.link} at ${move!.release} (it runs that release when started)` }
        : { inSync: true, summary: `${unitName} is not running: nothing to restart` };
  } else if (install && !unit.restartedInRoll && install.running === install.wanted) {
    state.decided = { inSync: true, summary: `runs ${move!.release} already` };
  } else if (unit.restartedInRoll && !unit.active) {
    state.decided = { inSync: false, observed, undo: undo(from), summary: `stopped by this roll and not started again: start ${unitName}${move ? ` on ${move.release}` : ''} and wait until it is back` };
  }
  return state;
}

/** What a rolling task says about its turn: who, its gate and its "back"; the rest comes from its context. */
export type TurnSpec = Omit<Turn, 'shell' | 'unit' | 'scope' | 'signal' | 'log' | 'move'>;

/** What applyTurn and undoMove need of a task's context (apply's or rollback's). */
export interface RollContext {
  shell: HostShell;
  signal: AbortSignal;
  log(message: string): void;
  controller: { runId: string };
}

/** A rolling task's apply: the turn its check observed, in the roll named, with the move its args ask for. */
export function applyTurn(ctx: RollContext, observed: TurnObserved, roll: string, spec: TurnSpec, move?: Move): Promise<void> {
  const turn: Turn = { ...spec, shell: ctx.shell, signal: ctx.signal, log: ctx.log, unit: observed.unit, scope: restartScope(ctx, roll) };
  return takeTurn(move ? { ...turn, move: { ...move, from: observed.from ?? '' } } : turn);
}

/**
 * Rollback of a move: the host goes back to the release it left (`record.from`), as a turn of a
 * roll of its own (`ctx.controller.runId` is the run rolled back), unless it runs that release
 * already. `back` is the move there; the turn ends by checking the host runs it.
 */
export async function undoMove(ctx: RollContext, record: MovedRecord, back: Move, spec: TurnSpec): Promise<void> {
  const scope = restartScope(ctx, `back to ${record.from}`);
  const unit = await probeUnitRestart(ctx.shell, back.unit, scope);
  const install = await probeInstall(ctx.shell, back);
  const there = unit.active ? install.running === install.wanted : install.linked === install.wanted;
  if (there && !unit.restartedInRoll) return;
  ctx.log(`moving ${back.unit} back to ${back.release}`);
  await takeTurn({ ...spec, shell: ctx.shell, signal: ctx.signal, log: ctx.log, unit, scope, move: { ...back, from: record.to } });
}

/** What changed since a move, for rollback to refuse: the link pointed elsewhere, the release gone. */
export async function moveDrift(shell: HostShell, r: MovedRecord, jarTail: string): Promise<string | undefined> {
  const install = await probeInstall(shell, { link: r.link, release: r.to, unit: r.service, jarTail }).catch(() => undefined);
  if (!install) return `${r.to} is gone`;
  if (install.linked !== install.wanted && install.linked !== r.from) return `${r.link} now points to ${install.linked || 'nothing'}, not ${r.to}`;
  return undefined;
}
