// The part copy and template share: put given bytes at `dest` with owner, group, mode, an optional
// dated `backup`, a `validate` command, and `force: false` to leave an existing file alone.

import { posix } from 'node:path';
import { z } from 'zod';
import { type CheckResult, type TaskContext } from '../task/types.js';
import { ownerArgs, pathArg } from './attrs.js';
import { contentProbe, planContent, validateArg, withContentIfChanged, type ContentPlan, type ContentUndo } from './content-file.js';
import type { PathState } from './probe.js';
import type { ShellText } from '../shell/quote.js';

export const putArgs = {
  dest: z.string().min(1).describe('The file to write on the host (a symlink there is followed unless follow: false).'),
  ...ownerArgs,
  backup: z.boolean().default(false).describe('Keep a dated copy of the replaced file beside it (Ansible\'s `backup`).'),
  validate: validateArg,
  force: z.boolean().default(true).describe('false: an existing dest is left as it is, whatever its content.'),
  follow: z
    .boolean()
    .default(true)
    .describe("A link at dest: true writes the file it leads to (the link stays); false replaces the link with the file (Ansible's default)."),
};

export type PutArgs = z.output<z.ZodObject<typeof putArgs>>;

/** `dest` ending in `/` names a directory: the file keeps the source's base name. */
export function destPath(dest: string, src: string | undefined): string {
  return pathArg.parse(dest.endsWith('/') && src ? posix.join(dest, posix.basename(src)) : dest);
}

/** The probe of a put's dest (read back with parseContentProbe): a file that is as wanted comes by its sum. */
export function putProbe(args: PutArgs, dest: string): ShellText {
  return contentProbe(dest, { follow: args.follow, summed: true });
}

/**
 * The plan for putting `content` where the put's probe found `probed`. `parentMadeFirst`: the step
 * itself creates dest's directory before it writes (a directory copy), so a missing one is no error.
 */
export async function checkPut(ctx: Pick<TaskContext<PutArgs>, 'args' | 'checkMode' | 'shell'>, probed: PathState, content: Buffer, options: { parentMadeFirst?: boolean } = {}): Promise<CheckResult<ContentPlan, ContentUndo>> {
  const a = ctx.args;
  const found = options.parentMadeFirst && probed.type === 'absent' ? { ...probed, parentExists: true } : probed;
  // A directory at dest is an error below, force or not (Ansible: content cannot go to a directory).
  if (!a.force && found.type !== 'absent' && found.type !== 'directory') return { inSync: true, summary: `${found.path} exists (force: false)` };
  // Under --check the step that makes the directory (an extract, a mkdir) has not run.
  if (ctx.checkMode && found.type === 'absent' && !found.parentExists) {
    return { inSync: false, summary: `create ${found.path} (its directory is not there yet: an earlier step would make it)` };
  }
  return planContent(await withContentIfChanged(ctx.shell, found, content), { content, attrs: { owner: a.owner, group: a.group, mode: a.mode }, backup: a.backup, validate: a.validate, replaceLink: !a.follow });
}
