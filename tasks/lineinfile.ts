// lineinfile: Ansible's module of that name: a line in a file, replacing the line a regexp matches
// (or after/before an anchor), or every matching line removed; undo restores the file byte for byte.

import {
  defineTask, z, ownerArgs, pathArg, validateArg, applyContent, undoContent, driftOf, checkEdit, contentProbe, parseContentProbe, insertArgs,
  insertionIndex, joinLines, matchIndex, regexArg, splitLines, TaskError, type ContentPlan, type ContentUndo,
} from 'runbook';

const args = z.strictObject({
  path: pathArg.describe('The file to edit (a symlink is followed).'),
  line: z.string().refine((s) => !s.includes('\n'), { message: 'line must be a single line (use blockinfile for several)' }).optional().describe('The line wanted (present) or to remove (absent, when no regexp). One line: use blockinfile for several.'),
  regexp: regexArg.optional().describe('Finds the line to replace (present) or the lines to remove (absent); the last match is replaced.'),
  search_string: z.string().min(1).optional().describe('Or a literal text that finds the line the way regexp does (no regular expression).'),
  backrefs: z.boolean().default(false).describe("With regexp: line may use the match's groups (\\1, \\g<name>, as Ansible); when nothing matches, the file is left alone."),
  firstmatch: z.boolean().default(false).describe('Use the first line matching regexp (or insertafter/insertbefore) instead of the last.'),
  state: z.enum(['present', 'absent']).default('present').describe('present: the line is there; absent: matching lines are removed.'),
  ...insertArgs,
  create: z.boolean().default(false).describe('Create the file when it is missing (else a missing file is an error).'),
  backup: z.boolean().default(false).describe('Keep a dated copy of the file beside it before changing it.'),
  validate: validateArg,
  ...ownerArgs,
})
  .refine((a) => a.state === 'absent' || a.line !== undefined, { message: 'state: present needs line' })
  .refine((a) => a.line !== undefined || a.regexp !== undefined || a.search_string !== undefined, { message: 'give line, regexp or search_string' })
  .refine((a) => a.regexp === undefined || a.search_string === undefined, { message: 'give regexp or search_string, not both' })
  .refine((a) => !a.backrefs || a.regexp !== undefined, { message: 'backrefs needs regexp' })
  .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, { message: 'give insertafter or insertbefore, not both' });

type Args = z.output<typeof args>;

/**
 * Python's match.expand() on a JavaScript match: `\1`..`\99`, `\g<1>`, `\g<name>` become the groups
 * (empty when they did not take part), a doubled backslash one backslash; the rest is the template's.
 */
export function expandBackrefs(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:(\d{1,2})|g<(\w+)>|(\\))/g, (_all, n: string | undefined, g: string | undefined, slash: string | undefined) => {
    if (slash) return '\\';
    const key = n ?? g!;
    const value = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    return value ?? '';
  });
}

export function editLines(text: string | null, a: Args): string | null {
  const lines = splitLines(text);
  // A last line without its newline keeps lacking it while it stays last and unchanged, as in
  // Ansible, which adds the newline only to a line it writes or to the line it appends after.
  const open = text !== null && text !== '' && !text.endsWith('\n');
  const join = (out: string[], lastUntouched: boolean) => (open && lastUntouched ? joinLines(out).slice(0, -1) : joinLines(out));
  const re = a.regexp !== undefined ? new RegExp(a.regexp) : undefined;
  const finds = re ? (l: string) => re.test(l) : a.search_string !== undefined ? (l: string) => l.includes(a.search_string!) : undefined;
  if (a.state === 'absent') {
    if (text === null) return null;
    const keeps = lines.map((l) => (finds ? !finds(l) : l !== a.line));
    const kept = lines.filter((_, i) => keeps[i]);
    return kept.length === lines.length ? text : join(kept, keeps[lines.length - 1]);
  }
  if (text === null && !a.create) throw new TaskError(`${a.path} does not exist`, { hint: 'set create: true to create it' });
  const at = finds ? matchIndex(lines, finds, a.firstmatch) : -1;
  if (at >= 0) {
    const line = a.backrefs ? expandBackrefs(a.line!, re!.exec(lines[at])!) : a.line!;
    if (lines[at] === line) return text;
    lines[at] = line;
    return join(lines, at !== lines.length - 1);
  }
  // Without a match there are no groups to fill the line with: Ansible leaves the file alone.
  if (a.backrefs) return text;
  const line = a.line!;
  if (lines.includes(line)) return text;
  const index = insertionIndex(lines, a);
  lines.splice(index, 0, line);
  return join(lines, index < lines.length - 1);
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'lineinfile',
  description: 'Ensure a line is in a file (replacing the line a regexp matches), or remove lines',
  doc: `Ansible's lineinfile. \`state: present\` (default): the last line matching \`regexp\` becomes \`line\`;
with no match, \`line\` is added unless already there, after the last line matching \`insertafter\`
(or before the last matching \`insertbefore\`; \`EOF\`/\`BOF\` name the ends; default EOF).
\`state: absent\` removes every line matching \`regexp\` (or equal to \`line\`). \`search_string\`
finds lines by literal text instead; \`firstmatch\` uses the first match instead of the last;
\`backrefs\` fills \`line\` with the match's groups (\`\\1\`, \`\\g<name>\`) and leaves the file alone
when nothing matches. Regexps are JavaScript regular expressions, with Python's \`\\A\`,
\`(?P<name>)\` and \`(?P=name)\` read as Python means them. \`create: true\` creates a missing
file. Also \`backup\`, \`validate\` (a command that must pass on the new content first; \`%s\` is its path), \`owner\`, \`group\`, \`mode\`. A symlink at path is followed.

\`\`\`yaml
- name: ZooKeeper keeps transaction logs apart
  lineinfile:
    path: /opt/zookeeper/conf/zoo.cfg
    regexp: '^dataLogDir='
    line: dataLogDir=/var/lib/zookeeper/logs
\`\`\``,
  args,
  aliases: { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp' },
  probe: ({ args: a }) => contentProbe(a.path),
  async check(ctx, probed) {
    const a = ctx.args;
    return checkEdit(ctx.shell, parseContentProbe(probed), (text) => editLines(text, a), {
      create: a.create,
      backup: a.backup,
      validate: a.validate,
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
