// hostname: the host's name, set the way the init system expects: `hostnamectl set-hostname`
// where systemd is PID 1 (it writes /etc/hostname and the kernel name together), else
// /etc/hostname plus `hostname`. Undo sets the previous name back the same way.

import { defineTask, z, sh, type HostShell } from 'runbook';

const hostnameArgs = z.strictObject({
  // RFC 1123 labels; hostnamectl refuses a static name longer than 64 characters.
  name: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'a host name: letters, digits, - and dots').describe('The host name: letters, digits, - and dots.'),
});

interface HostnameUndo {
  /** The kernel host name found. */
  name: string;
}

/** `hostname` output and /etc/hostname, separated by a @@file line. */
export function parseHostnames(out: string): { current: string; file: string } {
  const [current = '', file = ''] = out.split('@@file\n');
  return { current: current.trim(), file: file.trim() };
}

async function setHostname(shell: HostShell, name: string, systemd: boolean): Promise<void> {
  await shell.run(systemd ? sh`hostnamectl set-hostname ${name}` : sh`printf '%s\\n' ${name} > /etc/hostname && hostname ${name}`);
}

export default defineTask<typeof hostnameArgs, undefined, HostnameUndo>({
  name: 'hostname',
  description: 'Set the host name (hostnamectl where systemd runs, /etc/hostname otherwise)',
  doc: `Sets the host's name: \`hostnamectl set-hostname <name>\` where systemd is PID 1, otherwise
writes /etc/hostname and runs \`hostname <name>\`. In sync when both the running name and
/etc/hostname are \`name\`. Undo restores the previous name. Map the name to the host's private
address in /etc/hosts with \`hosts_entry\`.

\`\`\`yaml
- name: Set the host name (hostnamectl set-hostname)
  become: true
  hostname:
    name: "{{inventory_hostname}}"
\`\`\``,
  args: hostnameArgs,
  probe: () => sh`hostname; echo @@file; cat /etc/hostname 2>/dev/null || true`,
  async check(ctx, probed) {
    const { current, file } = parseHostnames(probed);
    const want = ctx.args.name;
    if (current === want && file === want) return { inSync: true, data: { hostname: current } };
    return { inSync: false, undo: { name: current }, summary: `host name ${current} → ${want}`, data: { hostname: current } };
  },
  async apply(ctx) {
    await setHostname(ctx.shell, ctx.args.name, (await ctx.facts()).init === 'systemd');
    return { data: { hostname: ctx.args.name } };
  },
  async undo(ctx, record) {
    const init = (await ctx.shell.run(sh`cat /proc/1/comm`)).stdout.trim();
    await setHostname(ctx.shell, record.name, init === 'systemd');
  },
});
