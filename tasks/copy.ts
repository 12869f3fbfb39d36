import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineTask, z, TaskError, applyContent, undoContent, driftOf, checkPut, destPath, probeContent, putArgs, type ContentPlan, type ContentUndo, type HostShell } from 'runbook';

const args = z
  .object({
    content: z.string().optional().describe('The file\'s content, as given.'),
    src: z.string().min(1).optional().describe('A file on the controller, relative to the runbook\'s directory; with remote_src, an absolute path on the host.'),
    remote_src: z.boolean().default(false).describe('src is a file on the host, not on the controller (as Ansible\'s remote_src).'),
    ...putArgs,
  })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of content or src' })
  .refine((a) => !a.remote_src || a.src?.startsWith('/'), { message: 'remote_src needs src: an absolute path on the host', path: ['src'] });

/** The bytes of a file on the host, read as any probe reads (a link there checked before it is followed). */
async function hostFile(shell: HostShell, path: string): Promise<Buffer> {
  const found = await probeContent(shell, path);
  if (found.type === 'absent') throw new TaskError(`src ${path} does not exist on the host`);
  if (found.type !== 'file') throw new TaskError(`src ${path} is a ${found.type}: remote_src copies one file`, { hint: found.type === 'directory' ? 'copy its files one by one, or archive and extract it' : undefined });
  return found.content ?? (await shell.readFile(found.path)) ?? Buffer.alloc(0);
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'copy',
  description: 'Write a file on the host from inline content or a controller file, with owner, mode, validate and backup',
  doc: `Puts a file at \`dest\`: \`content\` as given, or \`src\`, a file on the controller (relative to the
runbook's directory), or with \`remote_src: true\` a file on the host (one file: a directory is refused). Written atomically (temp file + rename); a symlink at dest is followed.
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
    const { content, src, dest, remote_src } = ctx.args;
    const bytes =
      src === undefined ? Buffer.from(content ?? '', 'utf8') : remote_src ? await hostFile(ctx.shell, src) : await readFile(resolve(ctx.controller.runbookDir, src));
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
