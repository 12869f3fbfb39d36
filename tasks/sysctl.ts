// sysctl: a kernel parameter in a sysctl file and, with reload, in the running kernel (Ansible's
// ansible.posix.sysctl: its names, args and defaults). Where ours differs, on purpose: the file is
// edited line by line (Ansible rewrites every `k = v` line of it as `k=v`), and reload sets this one
// parameter instead of `sysctl -p` on the whole file, so a bad line elsewhere neither fails this
// step nor gets applied by it.

import {
  defineTask, z, sh, raw, TaskError, checkEdit, contentProbe, parseContentProbe, splitSections, applyContent, undoContent, driftOf, joinLines,
  pathArg, splitLines, type ContentPlan, type ContentUndo, type HostShell, type ShellText,
} from 'runbook';

const keyArg = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/, 'a sysctl name like vm.swappiness (letters, digits, _ . / -)')
  // No empty part: nothing like `..`, `//` or a leading dot can climb out of /proc/sys.
  .refine((k) => k.split(/[./]/).every(Boolean), 'a sysctl name, not a path');

const args = z
  .strictObject({
    name: keyArg.describe('The parameter, e.g. vm.swappiness (dots, or slashes when a part holds a dot: net/ipv4/conf/eth0.100/forwarding).'),
    value: z.union([z.string(), z.number()]).transform((v) => normalize(String(v))).optional().describe('Its value (state: present). Whitespace between words is one space, as the kernel prints it.'),
    state: z.enum(['present', 'absent']).default('present').describe('present: the file sets name to value; absent: lines setting name are removed (the running value stays).'),
    sysctl_file: pathArg.default('/etc/sysctl.conf').describe('The file that sets it at boot (e.g. /etc/sysctl.d/60-kafka.conf; created when missing).'),
    reload: z.boolean().default(true).describe('When the file changes, set the running value too (Ansible runs sysctl -p on the file; this sets only this parameter).'),
    sysctl_set: z.boolean().default(false).describe('Also set the running value when only it differs (someone ran sysctl -w): the step then reports a change.'),
  })
  .refine((a) => a.state === 'absent' || a.value !== undefined, { message: 'state: present needs value' });
type Args = z.output<typeof args>;

/** The running kernel's view: `a   b` and `a\tb` are the same value. */
function normalize(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}

/** /proc/sys/<name>: dots are separators unless the name uses slashes. */
export function procPath(name: string): string {
  return `/proc/sys/${name.includes('/') ? name : name.replaceAll('.', '/')}`;
}

/** The key a `k = v` line sets, or undefined for comments, blanks and other lines. */
function keyOf(line: string): string | undefined {
  const t = line.trim();
  if (!t || t.startsWith('#') || t.startsWith(';') || !t.includes('=')) return undefined;
  return t.slice(0, t.indexOf('=')).trim().replace(/^-/, '');
}

/** The file with `name` set once (the last line that set it, earlier ones dropped), or without it. */
export function editSysctl(text: string | null, a: Pick<Args, 'name' | 'value' | 'state'>): string | null {
  const lines = splitLines(text);
  const at = lines.map(keyOf).map((k, i) => (k === a.name ? i : -1)).filter((i) => i >= 0);
  if (a.state === 'absent') return at.length ? joinLines(lines.filter((_, i) => !at.includes(i))) : text;
  const line = `${a.name}=${a.value}`;
  const last = at.at(-1);
  // Already set to this value once: leave the line as written (spaces around = and all).
  if (at.length === 1 && normalize(lines[last!].slice(lines[last!].indexOf('=') + 1)) === a.value) return text;
  if (last === undefined) return joinLines([...lines, line]);
  lines[last] = line;
  return joinLines(lines.filter((_, i) => i === last || !at.includes(i)));
}

interface Observed {
  file?: ContentPlan;
  /** The running value to set. */
  running?: string;
}

interface Undo {
  file?: ContentUndo;
  /** The running value before, to put back. */
  running?: { path: string; value: string };
}

/** The running value, in a section of the probe: when the step sets one, it reads it. */
function runningScript(path: string): ShellText {
  return sh`rb_section running; cat -- ${path} 2>/dev/null || printf '\\n%s' missing`;
}

function parseRunning(section: string): string | undefined {
  return section.endsWith('\nmissing') ? undefined : normalize(section);
}

const setsRunning = (a: Args) => a.state === 'present' && (a.reload || a.sysctl_set);

async function setRunning(shell: HostShell, path: string, name: string, value: string): Promise<void> {
  const r = await shell.run(sh`printf '%s\\n' ${value} > ${path}`, { check: false });
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-1)[0];
    throw new TaskError(`cannot set ${name}=${value} in the running kernel: ${why}`, {
      hint: /Read-only/i.test(why) ? 'in a container /proc/sys is read-only: reload: false writes only the file (used at the next boot)' : 'is the value valid for this parameter?',
    });
  }
}

export default defineTask<typeof args, Observed, Undo>({
  name: 'sysctl',
  description: 'Set a kernel parameter in a sysctl file and in the running kernel (Ansible\'s sysctl)',
  doc: `Ansible's \`sysctl\`: \`name\` is set to \`value\` in \`sysctl_file\` (default
\`/etc/sysctl.conf\`, created when missing), so it holds at boot, and with \`reload\` (default true),
when the file changes, in the running kernel too. \`sysctl_set: true\` also sets a running value
that differs while the file is right (a change). \`state: absent\` removes the lines that set
\`name\`; the running value stays.

Unlike Ansible, the rest of the file stays as written (Ansible rewrites every \`k = v\` line), a
name set on several lines is left on one (the last, which \`sysctl -p\` would apply), and reload
sets this one parameter through \`/proc/sys\` rather than \`sysctl -p\` on the whole file. The
running value is set before the file is written: a value the kernel refuses never reaches the
file. Undo restores the file byte for byte and the running value it changed.

\`\`\`yaml
- name: Swap only under pressure (vm.swappiness=1)
  become: true
  sysctl:
    name: vm.swappiness
    value: 1
    sysctl_file: /etc/sysctl.d/60-kafka.conf
\`\`\``,
  args,
  aliases: { key: 'name', val: 'value' },
  probe: ({ args: a }) => sh`${contentProbe(a.sysctl_file)}
${setsRunning(a) ? runningScript(procPath(a.name)) : raw(':')}`,
  async check(ctx, probed) {
    const a = ctx.args;
    const path = procPath(a.name);
    const file = await checkEdit(ctx.shell, parseContentProbe(probed), (text) => editSysctl(text, a), { create: true });
    const running = setsRunning(a) ? parseRunning(splitSections(probed).get('running') ?? '') : undefined;
    if (setsRunning(a) && running === undefined) {
      throw new TaskError(`no kernel parameter ${a.name} (${path} does not exist)`, { hint: 'check the name; a module that provides it may not be loaded' });
    }
    const setRunningNow = a.state === 'present' && running !== a.value && ((a.reload && !file.inSync) || a.sysctl_set);
    if (file.inSync && !setRunningNow) return { inSync: true, summary: `${a.name}${a.value !== undefined ? `=${a.value}` : ' not set'} in ${a.sysctl_file}${running !== undefined ? ', running' : ''}` };
    const what = [
      ...(file.inSync ? [] : [a.state === 'absent' ? `remove ${a.name} from ${a.sysctl_file}` : `${a.name}=${a.value} in ${a.sysctl_file}`]),
      ...(setRunningNow ? [`running ${running} → ${a.value}`] : []),
    ];
    return {
      inSync: false,
      observed: { ...(file.inSync ? {} : { file: file.observed! }), ...(setRunningNow ? { running: a.value } : {}) },
      undo: { ...(file.inSync ? {} : { file: file.undo! }), ...(setRunningNow ? { running: { path, value: running! } } : {}) },
      summary: what.join('; '),
      ...(file.diff ? { diff: file.diff } : {}),
    };
  },
  async apply(ctx, observed) {
    const a = ctx.args;
    if (observed?.running !== undefined) await setRunning(ctx.shell, procPath(a.name), a.name, observed.running);
    if (observed?.file) await applyContent(ctx.shell, observed.file);
  },
  async undo(ctx, record) {
    if (record.file) await undoContent(ctx.shell, record.file);
    if (record.running) await setRunning(ctx.shell, record.running.path, record.running.path.slice('/proc/sys/'.length), record.running.value);
  },
  drift: (ctx, record) => (record.file ? driftOf(ctx.shell, record.file.prior) : Promise.resolve(undefined)),
});
