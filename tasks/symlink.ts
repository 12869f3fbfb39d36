// symlink: dest made a symbolic link to src (the manuals' ~/kafka -> kafka_2.13-x links); a wrong
// link is replaced, a real file or directory only with force; undo restores the old link or file.

import { defineTask, z, pathArg, applyLink, checkLink, linkProbe, driftOf, restore, type LinkPlan, type Prior } from 'runbook';

const args = z.strictObject({
  src: z.string().min(1).describe('What the link points to, written as given (relative targets are relative to the link\'s directory).'),
  dest: pathArg.describe('The link\'s path.'),
  force: z.boolean().default(false).describe('Replace a real file or directory at dest (backed up first; undo restores it).'),
});

export default defineTask<typeof args, LinkPlan, Prior>({
  name: 'symlink',
  description: 'Make dest a symbolic link to src, replacing a wrong link (never a real file or directory unless force)',
  doc: `\`ln -s src dest\`, idempotently: a link already pointing to \`src\` is left alone, a link pointing
elsewhere is replaced atomically (undo points it back). A real directory or file at \`dest\` is refused,
naming it, unless \`force: true\` (then it is backed up on the host first, and undo restores it).

\`\`\`yaml
- name: Stable path for the ZooKeeper release
  symlink:
    src: /opt/apache-zookeeper-3.7.1-bin
    dest: /opt/zookeeper
\`\`\``,
  args,
  probe: ({ args }) => linkProbe(args.dest),
  check: (ctx, probed) => checkLink(ctx.shell, probed, ctx.args),
  async apply(ctx, plan) {
    return { undo: await applyLink(ctx.shell, plan!) };
  },
  async undo(ctx, record) {
    await restore(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record),
});
