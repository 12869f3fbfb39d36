import {
  defineTask, z, ownerArgs, pathArg, applyContent, undoContent, driftOf, checkEdit, insertArgs,
  insertionIndex, joinLines, lastMatch, regexArg, splitLines, type ContentPlan, type ContentUndo,
} from 'runbook';

const args = z
  .object({
    path: pathArg.describe('The file to edit (a symlink is followed).'),
    line: z.string().refine((s) => !s.includes('\n'), { message: 'line must be a single line (use blockinfile for several)' }).optional().describe('The line wanted (present) or to remove (absent, when no regexp). One line: use blockinfile for several.'),
    regexp: regexArg.optional().describe('Finds the line to replace (present) or the lines to remove (absent); the last match is replaced.'),
    state: z.enum(['present', 'absent']).default('present').describe('present: the line is there; absent: matching lines are removed.'),
    ...insertArgs,
    create: z.boolean().default(false).describe('Create the file when it is missing (else a missing file is an error).'),
    backup: z.boolean().default(false).describe('Keep a dated copy of the file beside it before changing it.'),
    ...ownerArgs,
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.line !== undefined, { message: 'state: present needs line' })
  .refine((a) => a.line !== undefined || a.regexp !== undefined, { message: 'give line or regexp' })
  .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, { message: 'give insertafter or insertbefore, not both' });

type Args = z.output<typeof args>;

export function editLines(text: string | null, a: Args): string | null {
  const lines = splitLines(text);
  const re = a.regexp !== undefined ? new RegExp(a.regexp) : undefined;
  if (a.state === 'absent') {
    if (text === null) return null;
    const kept = lines.filter((l) => (re ? !re.test(l) : l !== a.line));
    return kept.length === lines.length ? text : joinLines(kept);
  }
  const line = a.line!;
  const at = re ? lastMatch(lines, re) : -1;
  if (at >= 0) {
    if (lines[at] === line) return text;
    lines[at] = line;
    return joinLines(lines);
  }
  if (lines.includes(line)) return text;
  lines.splice(insertionIndex(lines, a), 0, line);
  return joinLines(lines);
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'lineinfile',
  description: 'Ensure a line is in a file (replacing the line a regexp matches), or remove lines',
  doc: `Ansible's lineinfile. \`state: present\` (default): the last line matching \`regexp\` becomes \`line\`;
with no match, \`line\` is added unless already there, after the last line matching \`insertafter\`
(or before the last matching \`insertbefore\`; \`EOF\`/\`BOF\` name the ends; default EOF).
\`state: absent\` removes every line matching \`regexp\` (or equal to \`line\`). Regexps are
JavaScript regular expressions. \`create: true\` creates a missing file. Also \`backup\`, \`owner\`,
\`group\`, \`mode\`. A symlink at path is followed.

\`\`\`yaml
- name: ZooKeeper keeps transaction logs apart
  lineinfile:
    path: /opt/zookeeper/conf/zoo.cfg
    regexp: '^dataLogDir='
    line: dataLogDir=/var/lib/zookeeper/logs
\`\`\``,
  args,
  async check(ctx) {
    const a = ctx.args;
    return checkEdit(ctx.shell, a.path, (text) => editLines(text, a), {
      create: a.create,
      backup: a.backup,
      attrs: { owner: a.owner, group: a.group, mode: a.mode },
    });
  },
  async apply(ctx, plan) {
    await applyContent(ctx.shell, plan!);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
