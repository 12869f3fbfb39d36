// systemd_unit: a unit file in /etc/systemd/system, from inline content or a template, checked
// before it is installed, with `systemctl daemon-reload` only when the file changed.
//
// Checking: `systemd-analyze verify` on a temp copy (when the host has it) catches syntax errors
// and unknown keys, but not a misspelt unit name in WantedBy= (the manual's `multi-user.targe`
// passes it on systemd 252 and the unit then silently never starts at boot), so dependency
// settings are also linted here. Complaints about missing dependency units or ExecStart binaries
// are not errors: an earlier step of the same run may be what installs them.

import { posix } from 'node:path';
import {
  defineTask, z, sh, privateTempDir, TaskError, unitArg, applyContent, planContent, sha256, undoContent, parsePathState, withContentIfChanged,
  PROBE_FUNCTION, probeScript, splitSections, priorOf, type HostShell, type ContentPlan,
  type ContentUndo, type PathState,
} from 'runbook';

export const UNIT_SUFFIXES = ['service', 'socket', 'target', 'device', 'mount', 'automount', 'swap', 'timer', 'path', 'slice', 'scope'];
const unitName = unitArg.transform((n) => (UNIT_SUFFIXES.some((s) => n.endsWith(`.${s}`)) ? n : `${n}.service`));

const unitArgs = z
  .strictObject({
    name: unitName.describe('The unit\'s file name, e.g. kafka.service.'),
    content: z.string().optional().describe('The unit file\'s text (or src).'),
    src: z.string().optional().describe('Handlebars template, relative to the runbook\'s directory (templates/ is searched too by the engine).'),
    state: z.enum(['present', 'absent']).default('present').describe('present: installed and systemd reloaded; absent: stopped, removed, reloaded.'),
  })
  .refine((a) => a.state === 'absent' || (a.content === undefined) !== (a.src === undefined), 'give exactly one of content or src');

const DEPENDENCY_KEYS = new Set([
  'Requires', 'Requisite', 'Wants', 'BindsTo', 'PartOf', 'Upholds', 'Conflicts', 'Before', 'After', 'OnFailure', 'OnSuccess',
  'PropagatesReloadTo', 'ReloadPropagatedFrom', 'WantedBy', 'RequiredBy', 'UpheldBy', 'Also',
]);

/** Problems a unit file has that systemd would not report at write time; `file:line: message` each. */
export function lintUnit(text: string, file: string): string[] {
  const problems: string[] = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) return void (section = header[1]);
    const eq = line.indexOf('=');
    if (eq < 0) return void problems.push(`${file}:${i + 1}: not a Key=Value line: ${line}`);
    if (!section) return void problems.push(`${file}:${i + 1}: setting outside of any [Section]`);
    const key = line.slice(0, eq).trim();
    if (!DEPENDENCY_KEYS.has(key)) return;
    for (const name of line.slice(eq + 1).trim().split(/\s+/).filter(Boolean)) {
      const suffix = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
      if (!UNIT_SUFFIXES.includes(suffix)) {
        const guess = UNIT_SUFFIXES.find((s) => s.startsWith(suffix) || suffix.startsWith(s));
        problems.push(`${file}:${i + 1}: ${key}=${name} is not a unit name (unknown suffix .${suffix})${guess ? `; did you mean ${name.slice(0, name.length - suffix.length)}${guess}?` : ''}`);
      }
    }
  });
  return problems;
}

/** The lines of `systemd-analyze verify` output that are about the file's own text (`path:line: ...`). */
export function verifyErrors(output: string, path: string): string[] {
  return output.split('\n').filter((l) => l.startsWith(`${path}:`));
}

type UnitObserved = { plan?: ContentPlan; remove?: string };

const unitPath = (name: string) => `/etc/systemd/system/${name}`;

/** What systemd_unit's probe found at the unit's path, and, for a unit that would change, what systemd-analyze says of it. */
async function verified(shell: HostShell, probed: string, path: string, content: string): Promise<{ found: PathState; verifyErrors: string[] }> {
  const found = await withContentIfChanged(shell, parsePathState(splitSections(probed).get('unit')), Buffer.from(content));
  // systemd-analyze costs ~100 ms a host: only a unit that would change is verified.
  if (found.type === 'file' && found.sha256 === sha256(Buffer.from(content))) return { found, verifyErrors: [] };
  const name = posix.basename(path);
  const verified = await shell.run(
    sh`command -v systemd-analyze >/dev/null 2>&1 || exit 0
${privateTempDir('d')}
cat > "$d"/${name}
echo "tmp=$d/"${name}
SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$d"/${name} 2>&1 || true`,
    { stdin: content },
  );
  const tmp = /^tmp=(.*)$/m.exec(verified.stdout)?.[1];
  return { found, verifyErrors: tmp ? verifyErrors(verified.stdout, tmp).map((l) => path + l.slice(tmp.length)) : [] };
}

export default defineTask<typeof unitArgs, UnitObserved, ContentUndo>({
  name: 'systemd_unit',
  description: 'Install a systemd unit file (checked, daemon-reload only on change)',
  doc: `Writes \`/etc/systemd/system/<name>\` from \`content\` or the template \`src\`, and runs
\`systemctl daemon-reload\` only when the file changed (notify a handler to restart the service).
\`name\` without a suffix gets \`.service\`. \`state: absent\` removes the file.

Before anything is written the new unit is checked: \`systemd-analyze verify\` on a temp copy
(syntax, unknown keys) where the host has it, and every unit named in Requires=, After=,
WantedBy=... must have a real unit suffix, so the classic \`WantedBy=multi-user.targe\` fails the
step (with a hint) instead of leaving a service that never starts at boot. Missing ExecStart
binaries or dependency units are not errors: an earlier step may install them.

Undo puts the previous file back (or removes a new one) and reloads systemd.

\`\`\`yaml
- name: Write /etc/systemd/system/kafka.service
  become: true
  systemd_unit:
    name: kafka.service
    src: kafka.service.hbs
  notify: restart kafka
\`\`\``,
  args: unitArgs,
  templateFiles: (a) => (a.src ? [a.src] : []),
  probe: ({ args }) => sh`${PROBE_FUNCTION}
${probeScript('unit', unitPath(args.name), { follow: true, summed: args.state !== 'absent' })}`,
  async check(ctx, probed) {
    const { args } = ctx;
    const path = unitPath(args.name);
    if (args.state === 'absent') {
      const found = parsePathState(splitSections(probed).get('unit'));
      const undo: ContentUndo = { prior: priorOf(found) };
      if (found.type === 'absent') return { inSync: true, undo };
      return { inSync: false, observed: { remove: path }, undo, summary: `remove ${path}`, diff: found.type === 'file' && found.content ? [{ path, before: found.content.toString('utf8'), after: null }] : [] };
    }
    const content = args.content ?? (await ctx.renderTemplate(args.src!));
    const problems = lintUnit(content, path);
    const { found, verifyErrors: parse } = await verified(ctx.shell, probed, path, content);
    problems.push(...parse);
    if (problems.length) {
      throw new TaskError(`the unit ${args.name} is not valid:\n${problems.join('\n')}`, { hint: 'fix the unit text (or its template); nothing was written' });
    }
    const result = planContent(found, { content: Buffer.from(content), attrs: { mode: '0644' } });
    return { ...result, observed: result.observed ? { plan: result.observed } : undefined, data: { path } };
  },
  async apply(ctx, observed) {
    if (observed?.plan) await applyContent(ctx.shell, observed.plan);
    if (observed?.remove) await ctx.shell.run(sh`rm -f -- ${observed.remove}`);
    await ctx.shell.run(sh`systemctl daemon-reload`);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
    await ctx.shell.run(sh`systemctl daemon-reload`);
  },
});
