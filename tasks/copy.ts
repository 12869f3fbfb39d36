// copy: a file on the host from inline content, a controller file or a directory tree (Ansible's
// copy, remote_src included), written atomically with owner, mode, validate and backup; undo
// restores what was there byte for byte.

import { statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import {
  defineTask, z, sh, TaskError, applyContent, undoContent, driftOf, checkPut, destPath, probeContent, putArgs, putProbe, chownSpec,
  parseContentProbe, parsePathState, probeScript, splitSections, type PathState, type ContentPlan, type ContentUndo, type HostShell, type TaskContext,
} from 'runbook';

const args = z.strictObject({
  content: z.string().optional().describe('The file\'s content, as given.'),
  src: z.string().min(1).optional().describe('A file or directory on the controller, relative to the runbook\'s directory (a directory: its tree; ending in `/`, only what is in it); with remote_src, an absolute path of a file on the host.'),
  remote_src: z.boolean().default(false).describe('src is a file on the host, not on the controller (as Ansible\'s remote_src).'),
  directory_mode: z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode such as 0755').optional().describe('Copying a directory: the mode of the directories it creates (existing ones are left as they are).'),
  ...putArgs,
})
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of content or src' })
  .refine((a) => !a.remote_src || a.src?.startsWith('/'), { message: 'remote_src needs src: an absolute path on the host', path: ['src'] });

type Args = z.output<typeof args>;

/** A directory copy: the directories to create (parents first), then each file's own plan. */
interface TreePlan {
  dirs: string[];
  dirMode?: string;
  owner?: string;
  group?: string;
  files: ContentPlan[];
}

interface TreeUndo {
  /** The directories the copy created, parents first: removed, children first, when empty. */
  dirs: string[];
  files: ContentUndo[];
}

/** The bytes of a file on the host, as the probe found it (a link there checked before it is followed). */
async function hostFile(shell: HostShell, found: PathState, path: string): Promise<Buffer> {
  if (found.type === 'absent') throw new TaskError(`src ${path} does not exist on the host`);
  if (found.type !== 'file') throw new TaskError(`src ${path} is a ${found.type}: remote_src copies one file`, { hint: found.type === 'directory' ? 'copy its files one by one, or archive and extract it' : undefined });
  return found.content ?? (await shell.readFile(found.path)) ?? Buffer.alloc(0);
}

/** The directories and files under a controller directory, relative, sorted (parents before children). */
async function walk(root: string, rel = ''): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const entry of (await readdir(join(root, rel), { withFileTypes: true })).sort((x, y) => x.name.localeCompare(y.name))) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      const inner = await walk(root, path);
      dirs.push(path, ...inner.dirs);
      files.push(...inner.files);
    } else if (entry.isFile()) files.push(path);
    else throw new TaskError(`${join(root, path)} is neither a file nor a directory: a directory copy takes files only`);
  }
  return { dirs, files };
}

/**
 * Ansible's recursive copy: `src: conf/` puts what is in conf at dest, `src: conf` puts conf itself
 * there (dest/conf). Directories are created as needed (directory_mode, owner, group); each file is
 * planned as a single copy is, with its own undo record.
 */
async function checkTree(ctx: TaskContext<Args>, local: string, src: string) {
  const a = ctx.args;
  const base = src.endsWith('/') ? a.dest.replace(/\/+$/, '') : posix.join(a.dest, posix.basename(src));
  const tree = await walk(local);
  const dirs: string[] = [];
  // As Ansible, the missing directories above dest are created too.
  const above: string[] = [];
  for (let d = posix.dirname(base); d !== '/' && d !== '.'; d = posix.dirname(d)) {
    const st = await ctx.shell.stat(d);
    if (st && st.type !== 'directory') throw new TaskError(`${d} is a ${st.type}, not a directory: the copy of ${src} needs one there`);
    if (st) break;
    above.unshift(d);
  }
  for (const dir of [...above, base, ...tree.dirs.map((d) => posix.join(base, d))]) {
    const st = await ctx.shell.stat(dir);
    if (!st) dirs.push(dir);
    else if (st.type !== 'directory') throw new TaskError(`${dir} is a ${st.type}, not a directory: the copy of ${src} needs one there`);
  }
  const created = new Set(dirs);
  const checks = [];
  for (const file of tree.files) {
    const dest = posix.join(base, file);
    const found = await probeContent(ctx.shell, dest, { follow: a.follow });
    checks.push(await checkPut(ctx, found, await readFile(join(local, file)), { parentMadeFirst: created.has(posix.dirname(dest)) }));
  }
  const changed = checks.filter((c) => !c.inSync);
  const plan: TreePlan = { dirs, dirMode: a.directory_mode, owner: a.owner, group: a.group, files: changed.map((c) => c.observed!) };
  const undo: TreeUndo = { dirs, files: changed.map((c) => c.undo!) };
  const summary = [...dirs.map((d) => `create directory ${d}`), ...changed.map((c) => c.summary)].join('; ');
  if (dirs.length === 0 && changed.length === 0) return { inSync: true, summary: `${tree.files.length} files under ${base} as wanted` };
  return { inSync: false, observed: plan, undo, summary, diff: changed.flatMap((c) => c.diff ?? []) };
}

/** The controller directory a copy's src names, if it names one. */
function localDirectory(a: Args, runbookDir: string): string | undefined {
  if (a.src === undefined || a.remote_src) return undefined;
  const local = resolve(runbookDir, a.src);
  return statSync(local, { throwIfNoEntry: false })?.isDirectory() ? local : undefined;
}

const isTree = (x: unknown): x is TreePlan | TreeUndo => typeof x === 'object' && x !== null && 'dirs' in x;

export default defineTask<typeof args, ContentPlan | TreePlan, ContentUndo | TreeUndo>({
  name: 'copy',
  description: 'Write a file on the host from inline content or a controller file or directory, with owner, mode, validate and backup',
  doc: `Puts a file at \`dest\`: \`content\` as given, or \`src\`, a file on the controller (relative to the
runbook's directory), or with \`remote_src: true\` a file on the host (one file: a directory is refused). Written atomically (temp file + rename); a symlink at dest is followed (\`follow: false\`: replaced by the file, as Ansible does by default).
\`--check --diff\` shows the content diff. Undo puts back the previous file (or removes a new one).

A directory as \`src\` is copied as Ansible does: \`src: conf.d/\` puts what is in it at \`dest\`,
\`src: conf.d\` puts the directory itself there (\`dest/conf.d\`); directories are created as needed
with \`directory_mode\`, \`owner\` and \`group\`, and every file is written as a single copy is (\`mode\`,
\`backup\`, \`validate\`, \`force\` apply to each). Files on the host that the source does not have are
left alone. Undo puts back each file and removes the directories the copy created.

Args: \`dest\`, \`content\` | \`src\`, \`owner\`, \`group\`, \`mode\` (quote it: '0644'), \`backup\` (keep a
dated copy beside the file), \`validate\` (command run on the new content first; \`%s\` is its path),
\`force\` (default true; false leaves an existing file alone), \`directory_mode\`. \`dest\` ending in \`/\` keeps src's name.

\`\`\`yaml
- name: ZooKeeper id
  copy:
    dest: /var/lib/zookeeper/myid
    content: "{{ myid }}\\n"
    owner: zookeeper
    mode: '0644'
- name: Broker config snippets
  copy:
    src: files/kafka.d/
    dest: /etc/kafka.d
    directory_mode: '0750'
\`\`\``,
  args,
  // A directory's copy reads each of its files' destinations on its own (checkTree).
  probe: ({ args: a, controller }) => {
    if (localDirectory(a, controller.runbookDir)) return undefined;
    const dest = putProbe(a, destPath(a.dest, a.src));
    return a.remote_src ? sh`${dest}
${probeScript('src', a.src!, { follow: true })}` : dest;
  },
  async check(ctx, probed) {
    const { content, src, remote_src } = ctx.args;
    const local = localDirectory(ctx.args, ctx.controller.runbookDir);
    if (local) return checkTree(ctx, local, src!);
    const bytes =
      src === undefined
        ? Buffer.from(content ?? '', 'utf8')
        : remote_src
          ? await hostFile(ctx.shell, parsePathState(splitSections(probed).get('src')), src)
          : await readFile(resolve(ctx.controller.runbookDir, src));
    return checkPut(ctx, parseContentProbe(probed), bytes);
  },
  async apply(ctx, plan) {
    if (!isTree(plan)) return applyContent(ctx.shell, plan!);
    const owner = chownSpec({ owner: plan.owner, group: plan.group });
    for (const dir of plan.dirs) {
      await ctx.shell.run(sh`set -e
mkdir -- ${dir}
${plan.dirMode ? sh`chmod ${plan.dirMode} -- ${dir}` : sh`:`}
${owner ? sh`chown ${owner} -- ${dir}` : sh`:`}`);
    }
    for (const file of plan.files) await applyContent(ctx.shell, file);
  },
  async undo(ctx, record) {
    if (!isTree(record)) return undoContent(ctx.shell, record);
    for (const file of [...record.files].reverse()) await undoContent(ctx.shell, file);
    for (const dir of [...record.dirs].reverse()) await ctx.shell.run(sh`rmdir -- ${dir} 2>/dev/null || [ ! -e ${dir} ]`);
  },
  drift: async (ctx, record) => {
    if (!isTree(record)) return driftOf(ctx.shell, record.prior);
    for (const file of record.files) {
      const drift = await driftOf(ctx.shell, file.prior);
      if (drift) return drift;
    }
    return undefined;
  },
});
