// blockinfile: Ansible's module of that name: a block of lines kept between two marker lines, so
// a re-run replaces the block it wrote instead of adding another; undo puts the file back as it was.

import {
  defineTask, z, ownerArgs, pathArg, validateArg, applyContent, undoContent, driftOf, checkEdit, contentProbe, parseContentProbe, insertArgs,
  insertionIndex, joinLines, splitLines, TaskError, type ContentPlan, type ContentUndo,
} from 'runbook';

/** The marker Ansible writes by default: a team switching tools finds the blocks it already has. */
const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';
/** Our default before it was Ansible's: a block under it is taken over, never duplicated. */
const LEGACY_MARKER = '# {mark} RUNBOOK MANAGED BLOCK';

const args = z.strictObject({
  path: pathArg.describe('The file to edit (a symlink is followed).'),
  block: z.string().default('').describe('The lines between the markers; empty (with state present) removes the block like absent.'),
  marker: z.string().includes('{mark}', { message: 'marker must contain {mark}' }).refine((m) => !m.includes('\n'), 'marker must be one line').default(DEFAULT_MARKER).describe('The marker line; `{mark}` becomes marker_begin / marker_end.'),
  marker_begin: z.string().default('BEGIN').describe('What {mark} becomes in the first marker line.'),
  marker_end: z.string().default('END').describe('What {mark} becomes in the last marker line.'),
  state: z.enum(['present', 'absent']).default('present').describe('present: the block is there as given; absent: the block and its markers are removed.'),
  ...insertArgs,
  create: z.boolean().default(false).describe('Create the file when it is missing (else a missing file is an error).'),
  backup: z.boolean().default(false).describe('Keep a dated copy of the file beside it before changing it.'),
  validate: validateArg,
  ...ownerArgs,
})
  .refine((a) => a.marker_begin !== a.marker_end, { message: 'marker_begin and marker_end must differ' });

type Args = z.output<typeof args>;

/**
 * Where the block is: the last BEGIN and the last END marker, as Ansible finds them, when BEGIN
 * comes first. A lone marker (a hand edit left half a block) is no block: a new one is added and
 * the stray line kept. END before BEGIN is refused: Ansible deletes every line between them.
 */
function findBlock(path: string, lines: string[], begin: string, end: string): { from: number; to: number } | undefined {
  const from = lines.lastIndexOf(begin);
  const to = lines.lastIndexOf(end);
  if (from < 0 || to < 0) return undefined;
  if (to < from) {
    throw new TaskError(`${path}: the end marker (line ${to + 1}) comes before the begin marker (line ${from + 1}); the lines between them are not a block to replace`, {
      hint: 'fix the markers by hand: remove the stray one, or put the begin marker before the end marker',
    });
  }
  return { from, to };
}

export function editBlock(text: string | null, a: Args): string | null {
  const lines = splitLines(text);
  const markers = (marker: string) => [marker.replaceAll('{mark}', a.marker_begin), marker.replaceAll('{mark}', a.marker_end)] as const;
  const [begin, end] = markers(a.marker);
  let found = findBlock(a.path, lines, begin, end);
  if (!found && a.marker === DEFAULT_MARKER) found = findBlock(a.path, lines, ...markers(LEGACY_MARKER));
  const remove = a.state === 'absent' || a.block === '';
  if (remove) {
    if (!found) return text;
    lines.splice(found.from, found.to - found.from + 1);
    return joinLines(lines);
  }
  const wanted = [begin, ...a.block.replace(/\n$/, '').split('\n'), end];
  if (found) {
    if (lines.slice(found.from, found.to + 1).join('\n') === wanted.join('\n')) return text;
    lines.splice(found.from, found.to - found.from + 1, ...wanted);
  } else {
    lines.splice(insertionIndex(lines, a), 0, ...wanted);
  }
  return joinLines(lines);
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'blockinfile',
  description: 'Ensure a block of lines between marker lines in a file (or remove it)',
  doc: `Ansible's blockinfile. Keeps \`block\` between two marker lines made from \`marker\` (default
\`# {mark} ANSIBLE MANAGED BLOCK\`, Ansible's, so blocks Ansible wrote are found; a block under our
former default \`# {mark} RUNBOOK MANAGED BLOCK\` is taken over), \`{mark}\` replaced by
\`marker_begin\`/\`marker_end\`, BEGIN/END). The block is between the last BEGIN and the last END
marker, as Ansible finds it; a lone marker is left as it is and a new block added; an END before
the BEGIN is refused (Ansible deletes the lines between them). An existing block is replaced; a new one goes after the last line matching \`insertafter\` or
before the last matching \`insertbefore\` (\`EOF\`/\`BOF\`; default EOF). \`state: absent\` (or an
empty block) removes it. Also \`create\`, \`backup\`, \`validate\` (a command that must pass on the new content first; \`%s\` is its path), \`owner\`, \`group\`, \`mode\`.

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
  aliases: { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  probe: ({ args: a }) => contentProbe(a.path),
  async check(ctx, probed) {
    const a = ctx.args;
    return checkEdit(ctx.shell, parseContentProbe(probed), (text) => editBlock(text, a), {
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
