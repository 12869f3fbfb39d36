// A symlink at `dest` pointing to `src`: shared by the symlink task and the file task's state: link.
// A wrong link is replaced atomically (ln -s to a temp name, then rename over). A real file or
// empty directory at dest is refused unless `force`, and then backed up first so undo can restore
// it; a directory with files in it is refused even with `force`, as Ansible refuses it.

import { posix } from 'node:path';
import { placeTemp, tempBeside } from '../transport/atomic-replace.js';
import type { HostShell } from '../transport/host.js';
import { raw, sh, type ShellText } from '../shell/quote.js';
import { TaskError } from '../errors.js';
import { type CheckResult } from '../task/types.js';
import { backupScript, priorOf, recordedBackup, type Prior } from './prior.js';
import { parsePathState, PROBE_FUNCTION, probeScript, splitSections } from './probe.js';

export interface LinkPlan {
  src: string;
  dest: string;
  prior: Prior;
}

/** The probe of what is at a link's dest (the link itself, not followed), read back by checkLink. */
export function linkProbe(dest: string): ShellText {
  return sh`${PROBE_FUNCTION}
${probeScript('dest', dest)}`;
}

/** The plan from what linkProbe found; `shell` looks into a directory found there (force replaces only an empty one). */
export async function checkLink(shell: HostShell, probed: string, want: { src: string; dest: string; force: boolean }): Promise<CheckResult<LinkPlan, Prior>> {
  const { src, dest } = want;
  const found = parsePathState(splitSections(probed).get('dest'));
  if (found.type === 'link' && found.target === src) return { inSync: true, undo: priorOf(found), summary: `${dest} → ${src}` };
  if (found.type === 'absent' && !found.parentExists) {
    throw new TaskError(`cannot create link ${dest}: directory ${posix.dirname(dest)} does not exist`, {
      hint: 'create it first with the file task (state: directory)',
    });
  }
  if (found.type === 'file' || found.type === 'directory' || found.type === 'other') {
    if (!want.force) {
      throw new TaskError(`refusing to replace the ${found.type === 'other' ? 'special file' : `real ${found.type}`} at ${dest} with a link to ${src}`, {
        hint: `move it away, or set force: true to replace it (it is backed up first, and undo restores it)`,
      });
    }
    // As Ansible: force replaces a file or an empty directory, never a directory with files in it.
    if (found.type === 'directory' && (await shell.run(sh`find -- ${dest} -mindepth 1 -maxdepth 1 -print -quit`)).stdout !== '') {
      throw new TaskError(`refusing to replace the directory ${dest}, which is not empty, with a link to ${src}, even with force`, {
        hint: 'move what it holds away first (force replaces a file or an empty directory)',
      });
    }
  }
  const prior: Prior = { ...priorOf(found, { wholeTree: true }), left: { type: 'link', target: src } };
  const summary =
    found.type === 'absent'
      ? `link ${dest} → ${src}`
      : found.type === 'link'
        ? `relink ${dest} → ${src} (was → ${found.target})`
        : `replace ${found.type} ${dest} with a link → ${src}`;
  return { inSync: false, observed: { src, dest, prior }, undo: prior, summary };
}

/** Makes the link; returns the undo record with the hash of the backup it made (if any). */
export async function applyLink(shell: HostShell, plan: LinkPlan): Promise<Prior> {
  const { src, dest, prior } = plan;
  const r = await shell.run(sh`set -e
${backupScript(prior)}
${prior.type === 'file' || prior.type === 'directory' ? sh`rm -rf -- ${dest}` : raw(':')}
${tempBeside(dest, '.runbook-link')}
ln -s -- ${src} "$t"
${placeTemp(dest)}`);
  return recordedBackup(prior, r.stdout);
}
