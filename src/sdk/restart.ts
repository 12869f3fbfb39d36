// Restarting a systemd unit at most once per run, also across a kill -9 and `runbook resume`.
// Before it restarts a unit, apply records on the host the run id and the unit's InvocationID
// (systemd gives every start a new one). A later check in the same run that finds the marker
// with its run id and a different InvocationID knows the restart happened, even if the journal
// never heard back: the resumed run goes on to waiting for health instead of restarting the
// host a second time. Only the host's own state decides: no clocks are compared.

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
  /** This run restarted the unit already (the marker holds this run and an earlier invocation). */
  restartedThisRun: boolean;
}

const markerPath = (unit: string) => posix.join(RESTART_MARKERS, unit);

/** A script section `unit-<unit>` that parseUnitRestart reads. */
export function unitRestartProbe(unit: string): ShellText {
  return sh`${SECTION_FUNCTION}rb_section ${`unit-${unit}`}
printf 'active=%s\\n' "$(systemctl is-active -- ${unit} 2>/dev/null)"
printf 'invocation=%s\\n' "$(systemctl show -p InvocationID --value -- ${unit} 2>/dev/null)"
if [ -f ${markerPath(unit)} ] && [ ! -L ${markerPath(unit)} ]; then printf 'marker=%s\\n' "$(head -c 200 ${markerPath(unit)})"; fi`;
}

export function parseUnitRestart(out: string, unit: string, runId: string): UnitRestartState {
  const kv = new Map<string, string>();
  for (const line of (splitSections(out).get(`unit-${unit}`) ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const invocation = kv.get('invocation') ?? '';
  const [markerRun, markerInvocation] = (kv.get('marker') ?? '').split(' ');
  return {
    unit,
    active: kv.get('active') === 'active',
    invocation,
    restartedThisRun: markerRun === runId && markerInvocation !== invocation,
  };
}

/** Reads the unit's state in a round trip of its own. */
export async function probeUnitRestart(shell: HostShell, unit: string, runId: string): Promise<UnitRestartState> {
  const r = await shell.run(unitRestartProbe(unit));
  return parseUnitRestart(r.stdout, unit, runId);
}

/** Records the run and the current invocation, then restarts the unit (root: systemctl needs it). */
export async function restartUnit(shell: HostShell, state: UnitRestartState, runId: string): Promise<void> {
  await shell.run(sh`mkdir -p -m 0700 ${RESTART_MARKERS}`);
  await shell.writeFile(markerPath(state.unit), `${runId} ${state.invocation}\n`, { mode: '0600' });
  const r = await shell.run(sh`systemctl restart -- ${state.unit}`, { check: false });
  if (r.code !== 0) throw new TaskError(`systemctl restart ${state.unit} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}
