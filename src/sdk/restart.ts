// Restarting a systemd unit at most once per roll of a run, also across a kill -9 and `runbook
// resume`. Before it restarts a unit, apply records on the host the roll's scope (the run id and
// what the roll is for) and the unit's InvocationID (systemd gives every start a new one). A later
// check in the same roll that finds the marker with its scope and a different InvocationID knows
// the restart happened, even if the journal never heard back: the resumed run goes on to waiting
// for health instead of restarting the host a second time, and the step after a skip_controller
// one leaves the hosts it restarted alone. Only the host's own state decides: no clocks are
// compared. Another roll of the same run (an upgrade's move, then its protocol bump) restarts the
// unit again.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import { sh, type ShellText } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { SECTION_FUNCTION, splitSections } from './probe.js';

export const RESTART_MARKERS = '/var/lib/runbook/restarts';

/** A systemd unit name; also a file name under RESTART_MARKERS, so never `.` or `..`. */
export const unitArg = z
  .string()
  .regex(/^[A-Za-z0-9:_.\\@-]+$/, 'a unit name like kafka or kafka.service')
  .refine((n) => !/^\.+$/.test(n), 'a unit name like kafka or kafka.service');

export interface UnitRestartState {
  unit: string;
  active: boolean;
  invocation: string;
  /** This roll restarted (or stopped) the unit already: the marker holds its scope and an earlier invocation. */
  restartedInRoll: boolean;
  /** What this roll recorded with its marker (the release an upgrade switched from); '' when none. */
  note: string;
}

/**
 * The scope a unit restarts at most once in: one roll of one run (both survive a resume). `roll`
 * tells the rolls of a run apart: '' for a plain restart, the release for a move to it.
 */
export function restartScope(ctx: { controller: { runId: string } }, roll = ''): string {
  return `${ctx.controller.runId}.${createHash('sha256').update(roll).digest('hex').slice(0, 12)}`;
}

const markerPath = (unit: string) => posix.join(RESTART_MARKERS, unit);

/** A script section `unit-<unit>` that parseUnitRestart reads. */
export function unitRestartProbe(unit: string): ShellText {
  return sh`${SECTION_FUNCTION}rb_section ${`unit-${unit}`}
printf 'active=%s\\n' "$(systemctl is-active -- ${unit} 2>/dev/null)"
printf 'invocation=%s\\n' "$(systemctl show -p InvocationID --value -- ${unit} 2>/dev/null)"
if [ -f ${markerPath(unit)} ] && [ ! -L ${markerPath(unit)} ]; then printf 'marker=%s\\n' "$(head -c 4096 ${markerPath(unit)})"; fi`;
}

export function parseUnitRestart(out: string, unit: string, scope: string): UnitRestartState {
  const kv = new Map<string, string>();
  for (const line of (splitSections(out).get(`unit-${unit}`) ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const invocation = kv.get('invocation') ?? '';
  const [markerScope, markerInvocation, ...note] = (kv.get('marker') ?? '').split(' ');
  const restartedInRoll = markerScope === scope && markerInvocation !== invocation;
  return {
    unit,
    active: kv.get('active') === 'active',
    invocation,
    restartedInRoll,
    note: restartedInRoll ? note.join(' ') : '',
  };
}

/** Reads the unit's state in a round trip of its own. */
export async function probeUnitRestart(shell: HostShell, unit: string, scope: string): Promise<UnitRestartState> {
  const r = await shell.run(unitRestartProbe(unit));
  return parseUnitRestart(r.stdout, unit, scope);
}

/**
 * Records the scope, the current invocation and `note` (one line), then restarts the unit (root:
 * systemctl needs it). With `whileStopped` (an upgrade switching the install), stops the unit,
 * runs it, then starts the unit: a process must never find its install replaced under it. A unit
 * this roll already stopped (killed in between, resumed) is only finished: `whileStopped`, start.
 */
export async function restartUnit(
  shell: HostShell,
  state: UnitRestartState,
  scope: string,
  options: { whileStopped?: () => Promise<void>; note?: string } = {},
): Promise<void> {
  const { whileStopped, note = '' } = options;
  const systemctl = async (verb: 'restart' | 'stop' | 'start') => {
    const r = await shell.run(sh`systemctl ${verb} -- ${state.unit}`, { check: false });
    if (r.code !== 0) throw new TaskError(`systemctl ${verb} ${state.unit} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  };
  if (!state.restartedInRoll) {
    await shell.run(sh`mkdir -p -m 0700 ${RESTART_MARKERS}`);
    await shell.writeFile(markerPath(state.unit), `${scope} ${state.invocation} ${note.replace(/\n/g, ' ')}\n`, { mode: '0600' });
  }
  if (!whileStopped) return systemctl('restart');
  if (state.active) await systemctl('stop');
  await whileStopped();
  await systemctl('start');
}
