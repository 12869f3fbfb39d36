import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineTask, z, applyContent, undoContent, driftOf, checkPut, destPath, putArgs, type ContentPlan, type ContentUndo } from 'runbook';

const args = z
  .object({
    content: z.string().optional().describe('The file\'s content, as given.'),
    src: z.string().min(1).optional().describe('A file on the controller, relative to the runbook\'s directory.'),
    ...putArgs,
  })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of content or src' });

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'copy',
  description: 'Write a file on the host from inline content or a controller file, with owner, mode, validate and backup',
  doc: `Puts a file at \`dest\`: \`content\` as given, or \`src\`, a file on the controller (relative to the
runbook's directory). Written atomically (temp file + rename); a symlink at dest is followed.
\`--check --diff\` shows the content diff. Undo puts back the previous file (or removes a new one).

Args: \`dest\`, \`content\` | \`src\`, \`owner\`, \`group\`, \`mode\` (quote it: '0644'), \`backup\` (keep a
dated copy beside the file), \`validate\` (command run on the new content first; \`%s\` is its path),
\`force\` (default true; false leaves an existing file alone). \`dest\` ending in \`/\` keeps src's name.

\`\`\`yaml
- name: ZooKeeper id
  copy:
    dest: /var/lib/zookeeper/myid
    content: "{{ myid }}\\n"
    owner: zookeeper
    mode: '0644'
\`\`\``,
  args,
  async check(ctx) {
    const { content, src, dest } = ctx.args;
    const bytes = src !== undefined ? await readFile(resolve(ctx.controller.runbookDir, src)) : Buffer.from(content ?? '', 'utf8');
    return checkPut(ctx, destPath(dest, src), bytes);
  },
  async apply(ctx, plan) {
    await applyContent(ctx.shell, plan!);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
