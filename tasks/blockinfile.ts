import {
  defineTask, z, ownerArgs, pathArg, applyContent, undoContent, driftOf, checkEdit, insertArgs,
  insertionIndex, joinLines, splitLines, type ContentPlan, type ContentUndo,
} from 'runbook';

const args = z
  .object({
    path: pathArg.describe('The file to edit (a symlink is followed).'),
    block: z.string().default('').describe('The lines between the markers; empty (with state present) removes the block like absent.'),
    marker: z.string().includes('{mark}', { message: 'marker must contain {mark}' }).refine((m) => !m.includes('\n'), 'marker must be one line').default('# {mark} RUNBOOK MANAGED BLOCK').describe('The marker line; `{mark}` becomes marker_begin / marker_end.'),
    marker_begin: z.string().default('BEGIN').describe('What {mark} becomes in the first marker line.'),
    marker_end: z.string().default('END').describe('What {mark} becomes in the last marker line.'),
    state: z.enum(['present', 'absent']).default('present').describe('present: the block is there as given; absent: the block and its markers are removed.'),
    ...insertArgs,
    create: z.boolean().default(false).describe('Create the file when it is missing (else a missing file is an error).'),
    backup: z.boolean().default(false).describe('Keep a dated copy of the file beside it before changing it.'),
    ...ownerArgs,
  })
  .strict()
  .refine((a) => a.marker_begin !== a.marker_end, { message: 'marker_begin and marker_end must differ' });

type Args = z.output<typeof args>;

export function editBlock(text: string | null, a: Args): string | null {
  const lines = splitLines(text);
  const begin = a.marker.replaceAll('{mark}', a.marker_begin);
  const end = a.marker.replaceAll('{mark}', a.marker_end);
  const from = lines.indexOf(begin);
  const to = from >= 0 ? lines.indexOf(end, from + 1) : -1;
  const found = from >= 0 && to >= 0;
  const remove = a.state === 'absent' || a.block === '';
  if (remove) {
    if (!found) return text;
    lines.splice(from, to - from + 1);
    return joinLines(lines);
  }
  const wanted = [begin, ...a.block.replace(/\n$/, '').split('\n'), end];
  if (found) {
    if (lines.slice(from, to + 1).join('\n') === wanted.join('\n')) return text;
    lines.splice(from, to - from + 1, ...wanted);
  } else {
    lines.splice(insertionIndex(lines, a), 0, ...wanted);
  }
  return joinLines(lines);
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'blockinfile',
  description: 'Ensure a block of lines between marker lines in a file (or remove it)',
  doc: `Ansible's blockinfile. Keeps \`block\` between two marker lines made from \`marker\` (default
\`# {mark} RUNBOOK MANAGED BLOCK\`, \`{mark}\` replaced by \`marker_begin\`/\`marker_end\`, BEGIN/END).
An existing block is replaced; a new one goes after the last line matching \`insertafter\` or
before the last matching \`insertbefore\` (\`EOF\`/\`BOF\`; default EOF). \`state: absent\` (or an
empty block) removes it. Also \`create\`, \`backup\`, \`owner\`, \`group\`, \`mode\`.

\`\`\`yaml
- name: Cluster hosts
  blockinfile:
    path: /etc/hosts
    marker: '# {mark} KAFKA CLUSTER'
    block: |
      10.0.0.11 kafka01
      10.0.0.12 kafka02
\`\`\``,
  args,
  async check(ctx) {
    const a = ctx.args;
    return checkEdit(ctx.shell, a.path, (text) => editBlock(text, a), {
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
