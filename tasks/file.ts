// file: Ansible's file module: directories, empty files, symbolic and hard links, removal, and
// owner, group and mode, through links as Ansible does; undo restores what each path was.

import { posix } from 'node:path';
import {
  defineTask, raw, sh, TaskError, z, attrChanges, chownSpec, ownerArgs, pathArg, applyLink, tempBeside, placeTemp,
  checkLink, linkProbe, backupScript, chmodMode, driftOf, priorOf, recordedBackup, restore, parsePathState,
  PROBE_FUNCTION, probeScript, followedProbeScript, probedSection, splitSections, type CheckResult, type HostShell, type ShellText, type Attrs,
  type LinkPlan, type Left, type Prior, type PriorOwner, type PathState,
} from 'runbook';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const args = z.strictObject({
  path: pathArg.describe('The path to manage.'),
  state: z
    .enum(['file', 'directory', 'link', 'hard', 'absent', 'touch'])
    .optional()
    .describe('file: must exist (attributes only); touch: create empty if missing; directory: mkdir -p; link: a symlink to src; hard: a hard link to src; absent: rm -rf. Unset: what the path is now (file or directory; directory with recurse), as Ansible.'),
  src: z.string().min(1).optional().describe('state: link: what the link points to (relative: to the link\'s directory); state: hard: the file to link to (an absolute path).'),
  ...ownerArgs,
  recurse: z.boolean().default(false).describe('state: directory: apply owner/group/mode to everything below too (through a link to the directory).'),
  force: z.boolean().default(false).describe('state: link: replace a real file or empty directory at path, or link to a src that does not exist; state: hard: replace a file at path.'),
})
  .refine((a) => (a.state === 'link' || a.state === 'hard') === (a.src !== undefined), { message: 'src goes with state: link or hard (and they need src)' })
  .refine((a) => a.state !== 'hard' || a.src?.startsWith('/'), { message: 'state: hard needs an absolute src (Ansible reads a relative one from wherever its module runs)', path: ['src'] })
  .refine((a) => !(a.state === 'link' || a.state === 'hard') || (a.owner === undefined && a.group === undefined && a.mode === undefined), {
    message: 'owner, group and mode do not go with state: link or hard: they would change the file linked to; set them on it with a step of its own',
  })
  .refine((a) => !a.recurse || a.state === undefined || a.state === 'directory', { message: 'recurse goes with state: directory' });

type Args = z.output<typeof args>;

type Plan =
  | { kind: 'link'; link: LinkPlan }
  | { kind: 'hard'; src: string; path: string; prior: Prior }
  | { kind: 'remove'; path: string; prior: Prior }
  | { kind: 'create'; state: 'directory' | 'touch'; path: string; attrs: Attrs }
  | { kind: 'attrs'; path: string; attrs: Attrs; recurse: boolean };

/** Holds a NUL, like a section header, so no path printed before it can fake it. */
const FIND_MARK = '\n\0@@tree\n';

/**
 * The probe of every state but link and hard: the path (lstat), what it resolves to, the first
 * missing ancestor, and for recurse the entries whose attributes differ.
 */
function observeProbe(a: Args): ShellText {
  const attrs: Attrs = a;
  const conditions: string[] = [];
  if (attrs.owner !== undefined) conditions.push(sh`! -user ${attrs.owner}`.text);
  if (attrs.group !== undefined) conditions.push(sh`! -group ${attrs.group}`.text);
  if (attrs.mode !== undefined) conditions.push(sh`\\( ! -type l ! -perm ${attrs.mode} \\)`.text);
  const find =
    a.recurse && conditions.length > 0
      ? raw(`printf '${FIND_MARK.replace(/\n/g, '\\n').replace(/\0/g, '\\000')}'; if [ -d "$rb_r" ]; then find "$rb_r" \\( ${conditions.join(' -o ')} \\) -printf '%m %U %G %p\\0'; fi`)
      : raw(':');
  return sh`${PROBE_FUNCTION}
${probeScript('self', a.path)}
${followedProbeScript('real', a.path, 'self')}
rb_section top; rb_d=${a.path}; rb_top=
while [ ! -e "$rb_d" ] && [ ! -L "$rb_d" ] && [ "$rb_d" != / ]; do rb_top=$rb_d; rb_d=$(dirname -- "$rb_d"; echo x); rb_d=\${rb_d%?x}; done
printf '%s\\000\\n' "$rb_top"
${find}`;
}

/**
 * What observeProbe found. `real()` is judged only when asked: removing a link never follows it,
 * so a link no one should follow must not stop its removal.
 */
function observed(probed: string): { self: PathState; real: () => PathState; top: string; differing: PriorOwner[] } {
  const at = probed.indexOf(FIND_MARK);
  const head = at >= 0 ? probed.slice(0, at) : probed;
  const sections = splitSections(head);
  const differing = at < 0 ? [] : parseFind(probed.slice(at + FIND_MARK.length));
  return {
    self: parsePathState(sections.get('self')),
    real: () => parsePathState(probedSection(sections, 'real')),
    top: (sections.get('top') ?? '').split('\0')[0],
    differing,
  };
}

function parseFind(out: string): PriorOwner[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((rec) => {
      const [mode, uid, gid] = rec.split(' ', 3);
      return { mode, uid: Number(uid), gid: Number(gid), path: rec.slice(mode.length + uid.length + gid.length + 3) };
    });
}

/**
 * state: hard, as Ansible's: in sync when path is src's inode already; a symlink at path is
 * replaced; a file only with force (backed up first, undo puts it back); into a directory.
 */
function hardProbe(a: Args): ShellText {
  return sh`${PROBE_FUNCTION}
${probeScript('src', a.src!, { follow: true })}
${probeScript('path', a.path)}
${followedProbeScript('into', a.path, 'path')}`;
}

async function checkHard(shell: HostShell, a: Args, probed: string, checkMode: boolean): Promise<CheckResult<Plan, Prior>> {
  const src = a.src!;
  const sections = splitSections(probed);
  // A directory at path (or a link to one) gets the link inside it, named as src, as in Ansible.
  if (parsePathState(probedSection(sections, 'into')).type === 'directory') {
    const inside = { ...a, path: posix.join(a.path, posix.basename(src)) };
    return checkHard(shell, inside, (await shell.run(hardProbe(inside))).stdout, checkMode);
  }
  const from = parsePathState(sections.get('src'));
  const found = parsePathState(sections.get('path'));
  if (from.type === 'absent') {
    if (!checkMode) throw new TaskError(`cannot hard-link ${a.path} to ${src}: it does not exist`, { hint: 'create it first' });
    return { inSync: false, summary: `hard-link ${a.path} to ${src} (${src} does not exist now: the play fails unless an earlier step creates it)` };
  }
  if (from.type !== 'file') throw new TaskError(`cannot hard-link ${a.path} to ${src}: it is a ${from.type}, and only files have hard links`);
  if (found.type === 'file' && found.ino === from.ino) return { inSync: true, summary: `${a.path} is ${src} (inode ${from.ino})` };
  if (found.type === 'absent' && !found.parentExists) throw new TaskError(`cannot create ${a.path}: its directory does not exist`, { hint: 'create it first with state: directory' });
  if (found.type === 'directory' || found.type === 'other') throw new TaskError(`refusing to replace the special file at ${a.path} with a hard link to ${src}`);
  if (found.type === 'file' && !a.force) {
    throw new TaskError(`refusing to replace the file at ${a.path}${found.links > 1 ? ' (another hard link)' : ''} with a hard link to ${src}`, {
      hint: 'move it away, or set force: true to replace it (it is backed up first, and undo restores it)',
    });
  }
  const prior: Prior = { ...priorOf(found), left: { type: 'file', sha256: from.sha256 } };
  const summary = found.type === 'absent' ? `hard-link ${a.path} to ${src}` : `replace the ${found.type === 'link' ? `link → ${found.target}` : 'file'} at ${a.path} with a hard link to ${src}`;
  return { inSync: false, observed: { kind: 'hard', src, path: a.path, prior }, undo: prior, summary };
}

/** Where a link's src leads: a relative src from the link's own directory, as the kernel reads it. */
const linkTarget = (a: Args) => posix.resolve(posix.dirname(a.path), a.src!);

/** Each state reads what it decides from in one script (a link's: its dest, and what src leads to). */
function probe({ args: a }: { args: Args }): ShellText {
  if (a.state === 'link') return sh`${linkProbe(a.path)}
${probeScript('target', linkTarget(a), { follow: true })}`;
  return a.state === 'hard' ? hardProbe(a) : observeProbe(a);
}

async function check(ctx: { shell: HostShell; args: Args; checkMode: boolean }, probed: string): Promise<CheckResult<Plan, Prior>> {
  const a = ctx.args;
  const attrs: Attrs = { owner: a.owner, group: a.group, mode: a.mode };
  if (a.state === 'link') {
    const r = await checkLink(ctx.shell, probed, { src: a.src!, dest: a.path, force: a.force });
    if (!r.inSync && !a.force && parsePathState(splitSections(probed).get('target')).type === 'absent') {
      const why = `${a.src} does not exist`;
      // Under --check an earlier step may be the one that creates it.
      if (!ctx.checkMode) throw new TaskError(`refusing to link ${a.path} to ${why}`, { hint: 'create it first, or set force: true for a link to something that is not there yet (as Ansible)' });
      return { ...r, observed: undefined, summary: `${r.summary} (${why} now: the play fails unless an earlier step creates it)` };
    }
    return { ...r, observed: r.observed && { kind: 'link', link: r.observed } };
  }
  if (a.state === 'hard') return checkHard(ctx.shell, a, probed, ctx.checkMode);
  const seen = observed(probed);
  const { self, top, differing } = seen;
  const path = a.path;

  if (a.state === 'absent') {
    if (self.type === 'absent') return { inSync: true, summary: `${path} is absent` };
    const prior: Prior = { ...priorOf(self, { wholeTree: true }), left: { type: 'absent' } };
    return { inSync: false, observed: { kind: 'remove', path, prior }, undo: prior, summary: `remove ${self.type} ${path}${self.type === 'directory' ? ' (recursively)' : ''}` };
  }
  const real = seen.real();
  const state = a.state ?? (real.type === 'directory' || (real.type === 'absent' && a.recurse) ? 'directory' : 'file');

  if (real.type === 'absent') {
    if (state === 'file') throw new TaskError(`${path} does not exist`, { hint: 'state: file only sets attributes; use state: touch or the copy task to create it' });
    if (state === 'touch' && !real.parentExists) throw new TaskError(`cannot create ${path}: its directory does not exist`, { hint: 'create it first with state: directory' });
    // A dangling link: create what it points to.
    const createdTop = state === 'directory' && self.type === 'absent' ? top : real.path;
    const left: Left = state === 'directory' ? { type: 'directory', onlyDirectories: true } : { type: 'file', sha256: EMPTY_SHA256 };
    const prior: Prior = { type: 'absent', path: createdTop || real.path, left };
    const what = state === 'directory' ? 'directory' : 'empty file';
    return { inSync: false, observed: { kind: 'create', state, path: real.path, attrs }, undo: prior, summary: `create ${what} ${real.path}` };
  }

  // touch on a directory that is there: as on a file, its timestamps are left alone.
  const wantType = state === 'directory' || (state === 'touch' && real.type === 'directory') ? 'directory' : 'file';
  if (real.type !== wantType) {
    throw new TaskError(`${path} is a ${real.type}${real.path !== path ? ` (${real.path})` : ''}, not a ${wantType}`, { hint: state === 'directory' ? 'remove it first (state: absent) if a directory belongs there' : undefined });
  }
  const via = real.path !== path ? ` (through the link to ${real.path})` : '';
  if (a.recurse && differing.length > 0) {
    const summary = `${path}${via}: ${[chownSpec(attrs) && `owner ${chownSpec(attrs)}`, attrs.mode && `mode ${attrs.mode}`].filter(Boolean).join(', ')} on ${differing.length} entr${differing.length === 1 ? 'y' : 'ies'} (recursively)`;
    return { inSync: false, observed: { kind: 'attrs', path: real.path, attrs, recurse: true }, undo: { type: 'attrs', path: real.path, entries: differing }, summary };
  }
  const changes = real.type === 'directory' || real.type === 'file' ? attrChanges(attrs, real) : [];
  if (changes.length === 0) return { inSync: true, summary: `${path} is as wanted` };
  const entry: PriorOwner = { path: real.path, mode: real.mode, uid: real.uid, gid: real.gid };
  return {
    inSync: false,
    observed: { kind: 'attrs', path: real.path, attrs, recurse: false },
    undo: { type: 'attrs', path: real.path, entries: [entry] },
    summary: `${path}${via}: ${changes.join(', ')}`,
  };
}

export default defineTask<typeof args, Plan, Prior>({
  name: 'file',
  description: 'Directories, empty files, links and removal, with owner, group, mode (recursively through a link to a directory)',
  doc: `Ansible's file task. \`state\`:
- \`directory\`: \`mkdir -p\`; undo removes what it created. With \`recurse: true\`, \`owner\`/\`group\`/\`mode\`
  apply to everything below (mode to files too, as in Ansible: prefer owner/group with recurse).
  When \`path\` is a symlink to a directory, the directory it points to is what changes: the
  manuals' \`chown -R user: zookeeper/\` trap (without the slash chown -R stops at the link) is
  handled for you. Undo restores every entry's previous owner and mode.
- \`file\` (default): the file must exist; sets owner/group/mode.
- \`touch\`: creates an empty file if missing. An existing file or directory keeps its timestamps
  (Ansible updates them, and reports a change on every run): the step stays idempotent.
- \`link\`: \`path\` becomes a symlink to \`src\` (like the symlink task; \`force\` to replace a real file
  or an empty directory, never one with files in it). A \`src\` that does not exist is refused
  without \`force\`, as Ansible refuses it (under \`--check\` it is reported: an earlier step may make it).
- \`hard\`: \`path\` becomes a hard link to \`src\` (an absolute path to a file): a symlink at \`path\`
  is replaced, a file only with \`force\` (backed up; undo restores it); a directory at \`path\` gets
  the link inside it, named as \`src\` (as Ansible does).
- unset: what the path is now (\`file\` or \`directory\`; \`directory\` with \`recurse\`), as Ansible.
- \`absent\`: removes the path, recursively; undo restores it from a backup made on the host first
  (a tar for directories, in the host's backup store: \`/var/lib/runbook/backups\`, mode 0700, for root;
  rollback checks its sha256 before it unpacks it).

Deliberately unlike Ansible: \`owner\`, \`group\` and \`mode\` are refused with \`link\` and \`hard\`
(Ansible applies them to the file linked to, which is a change of another path, with no undo here):
set them on that file with a step of its own.

\`\`\`yaml
- name: ZooKeeper belongs to its user
  file:
    path: /opt/zookeeper          # a link to apache-zookeeper-3.7.1-bin
    state: directory
    owner: zookeeper
    group: zookeeper
    recurse: true
\`\`\``,
  args,
  aliases: { dest: 'path', name: 'path' },
  probe,
  check,
  async apply(ctx, plan) {
    const shell = ctx.shell;
    const p = plan!;
    switch (p.kind) {
      case 'link':
        return { undo: await applyLink(shell, p.link) };
      case 'hard': {
        // Linked beside path, then renamed over it: path is never missing, and never written through.
        const r = await shell.run(sh`set -e
${backupScript(p.prior)}
${tempBeside(p.path, '.runbook-hard')}
ln -- ${p.src} "$t"
${placeTemp(p.path)}`);
        return { undo: recordedBackup(p.prior, r.stdout) };
      }
      case 'remove': {
        const r = await shell.run(sh`set -e
${backupScript(p.prior)}
rm -rf -- ${p.path}`);
        return { undo: recordedBackup(p.prior, r.stdout) };
      }
      case 'create':
      case 'attrs': {
        const owner = chownSpec(p.attrs);
        const r = p.kind === 'attrs' && p.recurse ? raw('-R') : raw('');
        const create =
          p.kind !== 'create' ? raw(':') : p.state === 'directory' ? sh`mkdir -p -- ${p.path}` : sh`: >> ${p.path}`;
        await shell.run(sh`set -e
${create}
${owner ? sh`chown ${r} ${owner} -- ${p.path}` : raw(':')}
${p.attrs.mode ? sh`chmod ${r} ${chmodMode(p.attrs.mode)} -- ${p.path}` : raw(':')}`);
        return;
      }
    }
  },
  async undo(ctx, record) {
    await restore(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record),
});
