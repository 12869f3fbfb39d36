// authorized_key: one or more public keys in a user's ~/.ssh/authorized_keys, line by line.
//
// Also the line-file helpers ssh_exchange uses for authorized_keys and known_hosts: the file is
// found through the user's home on the host, written atomically (owner and 0600 when created,
// ~/.ssh made 0700 when missing), and the undo record holds the lines added and removed, not the
// whole file, so undoing one step does not revert another step's lines in the same file.

import { posix } from 'node:path';
import {
  defineTask, z, sh, raw, TaskError, applyContent, planContent, textOf, joinLines, splitLines,
  homeScript, parsePathState, PROBE_FUNCTION, probeScript, splitSections, type CheckResult,
  type HostShell, type ShellText, type ContentPlan, type PathState,
} from 'runbook';
import { accountName } from './user.js';

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** `type blob` of a public key line (authorized_keys, known_hosts or a .pub file), or null. */
export function keyId(line: string): string | null {
  const words = line.trim().split(/\s+/);
  const i = words.findIndex((w) => KEY_TYPE.test(w));
  return i >= 0 && words[i + 1] ? `${words[i]} ${words[i + 1]}` : null;
}

/** A home-relative (or absolute) file of a user, as line-file helpers see it. */
export interface HomeFile {
  found: PathState;
  text: string | null;
}

export interface UserFiles {
  home: string;
  group: string;
  files: HomeFile[];
  /** Extra sections the caller's script printed. */
  sections: Map<string, string>;
}

/**
 * The probe of a user's files: the user's home and login group, then each file (absolute, or
 * relative to the home), plus whatever `extra` prints in its own sections.
 */
export function userFilesProbe(user: string, paths: string[], extra: ShellText = raw(':')): ShellText {
  const probes = paths.map((p, i) => probeScript(`f${i}`, p.startsWith('/') ? p : sh`"$h"/${p}`, { follow: true }).text).join('\n');
  return sh`${PROBE_FUNCTION}
${homeScript(user)}
rb_section home; printf '%s\\n' "$h"
rb_section group; id -gn ${user}
${raw(probes)}
${extra}`;
}

/** What userFilesProbe found for `count` files; a file too big to come with it is read now. */
export async function readUserFiles(shell: HostShell, probed: string, count: number): Promise<UserFiles> {
  const sections = splitSections(probed);
  const files: HomeFile[] = [];
  for (let i = 0; i < count; i++) {
    const found = parsePathState(sections.get(`f${i}`));
    files.push({ found, text: await textOf(shell, found) });
  }
  return { home: (sections.get('home') ?? '').trim(), group: (sections.get('group') ?? '').trim(), files, sections };
}

/** userFilesProbe run now: for a check that reads other hosts' files too (ssh_exchange). */
export async function probeUserFiles(shell: HostShell, user: string, paths: string[], extra?: ShellText): Promise<UserFiles> {
  return readUserFiles(shell, (await shell.run(userFilesProbe(user, paths, extra))).stdout, paths.length);
}

export interface LinesUndo {
  path: string;
  added: string[];
  removed: string[];
  created: boolean;
  /** The directory the step made (~/.ssh), removed by undo when empty. */
  dirCreated?: string;
}

export interface LinesPlan {
  plan: ContentPlan;
  mkdir?: { dir: string; owner: string; group: string };
}

/** Lines of `after` not in `before` and the other way round (as multisets). */
export function lineChanges(before: string[], after: string[]): { added: string[]; removed: string[] } {
  const left = [...before];
  const added: string[] = [];
  for (const line of after) {
    const i = left.indexOf(line);
    if (i >= 0) left.splice(i, 1);
    else added.push(line);
  }
  return { added, removed: left };
}

/** The plan that turns `file` into `lines`; new files (and a missing ~/.ssh) belong to the user. */
export function planLines(file: HomeFile, lines: string[], owner: { user: string; group: string }): CheckResult<LinesPlan, LinesUndo> {
  const before = splitLines(file.text);
  const { added, removed } = lineChanges(before, lines);
  const path = file.found.path;
  if (!added.length && !removed.length) return { inSync: true };
  const dirMissing = file.found.type === 'absent' && !file.found.parentExists;
  const found: PathState = dirMissing ? { ...file.found, type: 'absent', parentExists: true } : file.found;
  const created = found.type === 'absent';
  const result = planContent(found, {
    content: Buffer.from(joinLines(lines)),
    attrs: created ? { owner: owner.user, group: owner.group, mode: '0600' } : {},
  });
  const dir = posix.dirname(path);
  return {
    inSync: false,
    observed: { plan: result.observed!, ...(dirMissing ? { mkdir: { dir, owner: owner.user, group: owner.group } } : {}) },
    undo: { path, added, removed, created, ...(dirMissing ? { dirCreated: dir } : {}) },
    summary: `${path}: ${[added.length ? `add ${added.length} line${added.length > 1 ? 's' : ''}` : '', removed.length ? `remove ${removed.length}` : ''].filter(Boolean).join(', ')}`,
    diff: result.diff,
  };
}

export async function applyLines(shell: HostShell, observed: LinesPlan): Promise<void> {
  if (observed.mkdir) {
    const { dir, owner, group } = observed.mkdir;
    await shell.run(sh`mkdir -p -m 0700 -- ${dir} && chown ${`${owner}:${group}`} -- ${dir}`);
  }
  await applyContent(shell, observed.plan);
}

/** Takes out the lines the step added and puts back the ones it removed; leaves other lines alone. */
export async function undoLines(shell: HostShell, record: LinesUndo): Promise<void> {
  const bytes = await shell.readFile(record.path);
  const lines = splitLines(bytes === null ? null : bytes.toString('utf8'));
  for (const line of record.added) {
    const i = lines.indexOf(line);
    if (i >= 0) lines.splice(i, 1);
  }
  lines.push(...record.removed);
  if (lines.length === 0 && record.created) await shell.run(sh`rm -f -- ${record.path}`);
  else if (bytes !== null || lines.length) await shell.writeFile(record.path, joinLines(lines));
  if (record.dirCreated) await shell.run(sh`rmdir -- ${record.dirCreated} 2>/dev/null || true`);
}

/** Wanted key lines in, existing lines out: a key already there (same type and blob) is replaced by the wanted line. */
export function editKeys(lines: string[], keys: string[], state: 'present' | 'absent'): string[] {
  const ids = new Map(keys.map((k) => [keyId(k)!, k]));
  const out: string[] = [];
  const placed = new Set<string>();
  for (const line of lines) {
    const id = keyId(line);
    if (id === null || !ids.has(id)) out.push(line);
    else if (state === 'present' && !placed.has(id)) {
      out.push(ids.get(id)!);
      placed.add(id);
    }
  }
  if (state === 'present') for (const [id, k] of ids) if (!placed.has(id)) out.push(k);
  return out;
}

const keyLine = z
  .string()
  .refine((k) => k.split('\n').every((l) => l.trim() === '' || keyId(l) !== null), 'each line must be an SSH public key (type, base64 blob, optional comment)');

const args = z.strictObject({
  user: accountName.describe('The account whose ~/.ssh/authorized_keys is edited.'),
  key: keyLine.describe('One key, or several one per line (as a .pub file or GitHub\'s /<user>.keys serves them).'),
  state: z.enum(['present', 'absent']).default('present').describe('present: the keys are authorized; absent: lines with these keys are removed.'),
  path: z.string().min(1).optional().describe('Another file than ~/.ssh/authorized_keys (absolute, or relative to the user\'s home).'),
});

export default defineTask<typeof args, LinesPlan, LinesUndo>({
  name: 'authorized_key',
  description: "Add or remove SSH public keys in a user's authorized_keys",
  doc: `Adds (\`state: present\`) or removes (\`state: absent\`) public keys in the user's
\`~/.ssh/authorized_keys\` (or \`path\`), line by line: other lines are left as they are. A key
already there with other options or comment (same type and blob) is replaced by the given line.
A missing \`~/.ssh\` (0700) and file (0600) are created, owned by the user. Undo takes out the lines
the step added and puts back the ones it removed.

\`\`\`yaml
- name: Let the deploy key in
  become: true
  authorized_key:
    user: kafka
    key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... deploy@ci"
\`\`\``,
  args,
  probe: ({ args }) => userFilesProbe(args.user, [args.path ?? '.ssh/authorized_keys']),
  async check(ctx, probed) {
    const { args } = ctx;
    const keys = args.key.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!keys.length) throw new TaskError('key is empty');
    const u = await readUserFiles(ctx.shell, probed, 1);
    const file = u.files[0];
    return planLines(file, editKeys(splitLines(file.text), keys, args.state), { user: args.user, group: u.group });
  },
  apply: (ctx, observed) => applyLines(ctx.shell, observed!),
  undo: (ctx, record) => undoLines(ctx.shell, record),
});
