// service: a systemd service's running state and boot-time enablement. One `systemctl show` reads
// both; apply runs the systemctl verbs in one script. The undo record is the state found, so undo
// starts or stops and enables or disables back to it. `restarted`/`reloaded` always act (and
// report a change), as in Ansible: use them as handlers, which run only when notified.

import { defineTask, z, sh, raw, TaskError, unitArg } from 'runbook';

const serviceArgs = z
  .strictObject({
    name: unitArg.describe('The systemd unit, e.g. kafka or kafka.service.'),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional().describe('started, stopped, restarted (always restarts) or reloaded.'),
    enabled: z.boolean().optional().describe('Start at boot (true) or not (false); unset leaves it as it is.'),
  })
  .refine((a) => a.state !== undefined || a.enabled !== undefined, 'give state, enabled or both');

export interface UnitState {
  LoadState: string;
  ActiveState: string;
  UnitFileState: string;
}

interface ServiceUndo {
  name: string;
  active: boolean;
  /** null: the unit file state was not one enable/disable changes (static, masked...). */
  enabled: boolean | null;
}

interface ServiceObserved {
  verbs: string[];
}

/** Parses `systemctl show -p LoadState,ActiveState,UnitFileState` (Key=value lines). */
export function parseShow(out: string): UnitState {
  const kv = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { LoadState: kv.LoadState ?? '', ActiveState: kv.ActiveState ?? '', UnitFileState: kv.UnitFileState ?? '' };
}

export const isActive = (s: UnitState) => s.ActiveState === 'active' || s.ActiveState === 'reloading' || s.ActiveState === 'activating';
/** enabled / disabled, or null when the unit cannot be enabled or disabled (static, masked, generated...). */
export function enablement(s: UnitState): boolean | null {
  if (s.UnitFileState === 'enabled' || s.UnitFileState === 'enabled-runtime') return true;
  if (s.UnitFileState === 'disabled') return false;
  return null;
}

/** The systemctl verbs that bring `found` to what args want. */
export function plan(args: { state?: string; enabled?: boolean }, found: UnitState): string[] {
  const verbs: string[] = [];
  if (args.state === 'started' && !isActive(found)) verbs.push('start');
  if (args.state === 'stopped' && isActive(found)) verbs.push('stop');
  if (args.state === 'restarted') verbs.push('restart');
  if (args.state === 'reloaded') verbs.push(isActive(found) ? 'reload' : 'start');
  const enabled = enablement(found);
  if (args.enabled === true && enabled !== true && found.UnitFileState !== 'static') verbs.push('enable');
  if (args.enabled === false && enabled === true) verbs.push('disable');
  return verbs;
}

const PAST: Record<string, string> = { start: 'started', stop: 'stopped', restart: 'restarted', reload: 'reloaded', enable: 'enabled', disable: 'disabled' };

export default defineTask<typeof serviceArgs, ServiceObserved, ServiceUndo>({
  name: 'service',
  description: 'Start, stop, restart or reload a systemd service; enable or disable it at boot',
  doc: `Controls a systemd service: \`name\`, \`state\` (\`started\`, \`stopped\`, \`restarted\`,
\`reloaded\`) and \`enabled\` (start at boot). The state is read with
\`systemctl show -p ActiveState,UnitFileState\`; only what differs is done. \`restarted\` and
\`reloaded\` always act and report a change (Ansible's semantics): make them handlers, notified by
the steps that change the configuration. Undo brings the service back to the running and enabled
state it had (a restart itself cannot be undone).

In \`--check\`, a unit that does not exist yet (an earlier step would write it) is reported as
would-start instead of failing.

\`\`\`yaml
- name: Start Kafka and enable it at boot
  become: true
  service:
    name: kafka
    state: started
    enabled: true
\`\`\``,
  args: serviceArgs,
  aliases: { service: 'name', unit: 'name' },
  probe: ({ args }) => sh`systemctl show -p LoadState,ActiveState,UnitFileState -- ${args.name}`,
  async check(ctx, probed) {
    const { args } = ctx;
    const found = parseShow(probed);
    const data = { active_state: found.ActiveState, unit_file_state: found.UnitFileState };
    if (found.LoadState === 'not-found') {
      if (!ctx.checkMode) throw new TaskError(`there is no unit ${args.name} on this host`, { hint: 'write it first with systemd_unit (or install its package)' });
      const verbs = plan(args, { LoadState: 'loaded', ActiveState: 'inactive', UnitFileState: 'disabled' });
      return { inSync: false, summary: `${verbs.map((v) => PAST[v]).join(', ')} ${args.name} (its unit is not installed yet)`, data };
    }
    const verbs = plan(args, found);
    const undo = { name: args.name, active: isActive(found), enabled: enablement(found) };
    if (!verbs.length) return { inSync: true, undo, data };
    return { inSync: false, observed: { verbs }, undo, summary: `${args.name}: ${verbs.map((v) => PAST[v]).join(', ')}`, data };
  },
  async apply(ctx, observed) {
    const name = ctx.args.name;
    const script = observed!.verbs.map((v) => sh`systemctl ${v} -- ${name}`.text).join(' && ');
    await ctx.shell.run(raw(script));
    const r = await ctx.shell.run(sh`systemctl show -p LoadState,ActiveState,UnitFileState -- ${name}`);
    const after = parseShow(r.stdout);
    return { data: { active_state: after.ActiveState, unit_file_state: after.UnitFileState } };
  },
  async undo(ctx, record) {
    const steps = [record.active ? sh`systemctl start -- ${record.name}` : sh`systemctl stop -- ${record.name}`];
    if (record.enabled !== null) steps.push(record.enabled ? sh`systemctl enable -- ${record.name}` : sh`systemctl disable -- ${record.name}`);
    await ctx.shell.run(raw(steps.map((s) => s.text).join(' && ')));
  },
});
