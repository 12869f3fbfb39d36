// One file with wanted content and attributes: the engine room of copy, template, lineinfile,
// blockinfile, env and hosts_entry. Each of those computes the wanted bytes its own way, then:
//
//   probe: (ctx) => contentProbe(dest),                          // the check's one read
//   const found = parseContentProbe(probed);                      // check: the probe's output,
//   return planContent(found, { content, attrs, backup, validate }); // pure: inSync, summary, diff, undo
//   applyContent(ctx.shell, observed)                             // apply: one round trip
//   undoContent(ctx.shell, record)                                // undo
//
// A symlink at the destination is followed: its target is what gets written (editing
// /etc/resolv.conf must not replace the link with a file).

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import type { Readable } from 'node:stream';
import { expectSize, placeTemp, tempBeside } from '../transport/atomic-replace.js';
import type { HostShell } from '../transport/host.js';
import { raw, sh, type ShellText } from '../shell/quote.js';
import { TaskError } from '../errors.js';
import { type CheckResult, type FileDiff } from '../task/types.js';
import { attrChanges, chownSpec, type Attrs } from './attrs.js';
import { decodeLossless } from './lossless-text.js';
import { backupScript, chmodMode, priorOf, restore, type Prior } from './prior.js';
import { homeScript, parsePathState, PROBE_FUNCTION, probeScript, READ_LIMIT, splitSections, type PathState, type ProbeOptions } from './probe.js';

/** A path on the host, or one relative to a user's home directory (looked up with getent on the host). */
export type Dest = string | { user: string; relative: string };

/** Ansible's `validate`, for every task that writes a file's content. */
export const validateArg = z
  .string()
  .includes('%s', { message: 'validate must contain %s (the path of the new file)' })
  .optional()
  .describe('A command that must succeed on the new content before it replaces the old; `%s` is the new file (visudo -cf %s).');

export interface ContentPlan {
  path: string;
  prior: Prior;
  /** New content, base64; absent when only attributes change. */
  content?: string;
  attrs: Attrs;
  /** Ansible's `backup: true`: a dated copy kept beside the file. */
  backupFile?: string;
  /** Command run on the new content before it replaces the old; `%s` is its path. */
  validate?: string;
  /** Missing directories above the file, made first (outermost first): Ansible's `create: true`. */
  parents?: string[];
}

export interface ContentUndo {
  prior: Prior;
  /** The dated copy apply leaves beside the file (`backup: true`); removed on undo. */
  backupFile?: string;
  /** The directories apply made above the file, outermost first: removed on undo when empty. */
  parents?: string[];
}

export interface WantedContent {
  /** undefined: keep the content, only see to attributes (the file must exist). */
  content?: Buffer;
  attrs?: Attrs;
  backup?: boolean;
  validate?: string;
  /** A link found at dest (probed without following it) is replaced by the file. */
  replaceLink?: boolean;
}

/**
 * The probe of what is at dest (following a symlink unless told not to): read back with
 * parseContentProbe. `summed`: the check compares the whole content (withContentIfChanged).
 */
export function contentProbe(dest: Dest, options: ProbeOptions = {}): ShellText {
  const target = typeof dest === 'string' ? dest : sh`"$h"/${dest.relative}`;
  return sh`${PROBE_FUNCTION}
${typeof dest === 'string' ? raw(':') : homeScript(dest.user)}
${probeScript('dest', target, { ...options, follow: options.follow ?? true })}`;
}

/**
 * What a summed probe found, with the file's content when it differs from `wanted`: read ahead,
 * the probe gave a small file by its sum alone, and a change needs its content (for the diff and
 * the undo record). One read more, only for a file that is about to change.
 */
export async function withContentIfChanged(shell: HostShell, found: PathState, wanted: Buffer): Promise<PathState> {
  if (found.type !== 'file' || found.content !== undefined || found.size > READ_LIMIT || found.sha256 === sha256(wanted)) return found;
  const content = await shell.readFile(found.path);
  return content === null ? found : { ...found, content, size: content.length, sha256: sha256(content) };
}

export function parseContentProbe(probed: string): PathState & { path: string } {
  return parsePathState(splitSections(probed).get('dest'));
}

/** What is at dest, read now: for a check that reads more than its probe (a directory's files). */
export async function probeContent(shell: HostShell, dest: Dest, options: { follow?: boolean } = {}): Promise<PathState & { path: string }> {
  return parseContentProbe((await shell.run(contentProbe(dest, options))).stdout);
}

/** The whole text of a probed file (every byte kept: lossless-text.ts), or null when absent; reads again when it was too big for the probe. */
export async function textOf(shell: HostShell, found: PathState): Promise<string | null> {
  if (found.type === 'absent') return null;
  if (found.type !== 'file') throw new TaskError(`${found.path} is a ${found.type}, not a file`);
  if (found.content) return decodeLossless(found.content);
  const bytes = await shell.readFile(found.path);
  return bytes === null ? null : decodeLossless(bytes);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function planContent(found: PathState, want: WantedContent): CheckResult<ContentPlan, ContentUndo> {
  const { path } = found;
  const attrs = want.attrs ?? {};
  if (found.type === 'directory' || found.type === 'other') {
    throw new TaskError(`${path} is a ${found.type}, not a file`, { hint: 'name the file itself as dest' });
  }
  if (found.type === 'link' && !want.replaceLink) throw new Error(`probe did not follow the link at ${path}`);
  if (found.type === 'link' && want.content === undefined) throw new TaskError(`${path} is a link: there is no file to set attributes on`);
  if (found.type === 'absent') {
    if (want.content === undefined) throw new TaskError(`${path} does not exist`);
    if (!found.parentExists) {
      throw new TaskError(`cannot create ${path}: directory ${posix.dirname(path)} does not exist`, {
        hint: 'create it first with the file task (state: directory)',
      });
    }
  }
  const contentChanges = want.content !== undefined && (found.type !== 'file' || sha256(want.content) !== found.sha256);
  const changes = found.type === 'file' ? attrChanges(attrs, found) : [];
  const prior = priorOf(found);
  const undo: ContentUndo = { prior };
  if (!contentChanges && changes.length === 0) return { inSync: true, undo, summary: `${path} is as wanted` };

  prior.left = { type: 'file', sha256: contentChanges ? sha256(want.content!) : (found as { sha256: string }).sha256 };
  const plan: ContentPlan = { path, prior, attrs, ...(want.validate ? { validate: want.validate } : {}) };
  if (contentChanges) plan.content = want.content!.toString('base64');
  if (want.backup && found.type === 'file' && contentChanges) {
    plan.backupFile = `${path}.${new Date().toISOString().replace(/\.\d+Z$/, '').replace('T', '@')}~`;
    undo.backupFile = plan.backupFile;
  }
  const summary =
    found.type === 'absent'
      ? `create ${path}`
      : found.type === 'link'
        ? `replace the link ${path} (to ${found.target}) with a file`
      : contentChanges
        ? [`update ${path}`, ...changes].join(', ')
        : `${path}: ${changes.join(', ')}`;
  const diff: FileDiff[] = contentChanges
    ? [{ path, before: found.type === 'file' ? shownText(found.content, found.size) : null, after: shownText(want.content!, want.content!.length) }]
    : [];
  return { inSync: false, observed: plan, undo, summary, diff };
}

/** Text for a diff; binary or unread content becomes a one-line placeholder. */
function shownText(content: Buffer | undefined, size: number): string {
  if (content === undefined) return `(${size} bytes, not shown)\n`;
  const text = content.toString('utf8');
  if (text.includes('\0') || text.includes('\uFFFD')) return `(binary, ${size} bytes, sha256 ${sha256(content)})\n`;
  return text;
}

/**
 * Make the file as planned, in one round trip: back up what undo needs, write the new content to a
 * temp file beside the destination, validate it, give it its owner and mode, rename it into
 * place. `data` streams content that is not in the plan (a download relayed by the controller).
 */
export async function applyContent(shell: HostShell, plan: ContentPlan, data?: { stream: Readable; size: number }): Promise<void> {
  const { path, attrs } = plan;
  const owner = chownSpec(attrs);
  if (plan.parents?.length) await shell.run(sh`mkdir -- ${plan.parents}`);
  const size = data?.size ?? (plan.content !== undefined ? Buffer.byteLength(plan.content, 'base64') : undefined);
  if (plan.content === undefined && data === undefined) {
    await shell.run(sh`set -e
${owner ? sh`chown ${owner} -- ${path}` : raw(':')}
${attrs.mode ? sh`chmod ${chmodMode(attrs.mode)} -- ${path}` : raw(':')}`);
    return;
  }
  const validate = plan.validate
    ? sh`mkdir ./validate
cp -- "$t" ./validate/${posix.basename(path)}
if ! sh -c ${plan.validate.replaceAll('%s', '"$1"')} validate "$PWD"/validate/${posix.basename(path)} >&2; then echo "validate command failed; "${path}" left unchanged" >&2; exit 65; fi
rm -rf ./validate`
    : raw(':');
  await shell.run(
    sh`set -e
${backupScript(plan.prior)}
${plan.backupFile ? sh`cp -p -- ${path} ${plan.backupFile}` : raw(':')}
${tempBeside(path)}
${plan.content !== undefined ? raw('base64 -d > "$t"') : raw('cat > "$t"')}
${size !== undefined ? expectSize(size) : raw(':')}
${validate}
${owner ? sh`chown ${owner} "$t"` : sh`if [ -f ${path} ] && [ ! -L ${path} ]; then chown --reference=${path} "$t"; fi`}
${attrs.mode ? sh`chmod ${chmodMode(attrs.mode)} "$t"` : sh`if [ -f ${path} ] && [ ! -L ${path} ]; then chmod --reference=${path} "$t"; else chmod 0644 "$t"; fi`}
${placeTemp(path)}`,
    { stdin: data?.stream ?? plan.content },
  );
}

export async function undoContent(shell: HostShell, record: ContentUndo): Promise<void> {
  await restore(shell, record.prior);
  if (record.backupFile) await shell.run(sh`rm -f -- ${record.backupFile}`);
  // A directory someone has put something in since stays, with it.
  if (record.parents?.length) await shell.run(sh`rmdir -- ${[...record.parents].reverse()} 2>/dev/null || :`);
}
