// Where the project is. Its tasks/ are TypeScript that runbook imports and runs, as whoever runs
// runbook (often root), so the project must be one that person chose: given with `-C <dir>`
// (or RUNBOOK_PROJECT), or found by walking up from the working directory to the nearest folder
// with a runbook.yaml or a runbooks/ folder, as git finds its repository, but never above the user's home or a
// filesystem's root, and only when the folder and what runbook would load from it belong to the
// user (or root) and no one else can write to them. Anything else is refused with the reason,
// never skipped silently: a planted /tmp/runbooks must not quietly decide which project runs.
// Without either the working directory is the project.

import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

/** The project file at the root of an ops repository (file.ts reads it). */
export const PROJECT_FILE = 'runbook.yaml';

/** Set from the command line (-C); wins over RUNBOOK_PROJECT and over discovery. */
let explicitDir: string | undefined;

export function setProjectDir(dir: string | undefined): void {
  explicitDir = dir;
}

export async function findProjectDir(cwd: string = process.cwd()): Promise<string> {
  const given = explicitDir ?? process.env.RUNBOOK_PROJECT;
  if (given) {
    const dir = resolve(cwd, given);
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
      throw new UserError('project', `project directory ${dir} does not exist`, { hint: 'give an existing directory with -C (or RUNBOOK_PROJECT)' });
    }
    return dir;
  }
  const home = resolve(process.env.HOME || homedir());
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    const here = await stat(dir).catch(() => undefined);
    if ((await exists(join(dir, PROJECT_FILE))) || (await isDir(join(dir, 'runbooks')))) {
      await assertTrusted(dir, { files: [join(dir, PROJECT_FILE)] });
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir || dir === home) return start;
    const up = await stat(parent).catch(() => undefined);
    // A mount point is a filesystem's root: discovery does not cross it (git does the same).
    if (!here || !up || here.dev !== up.dev) return start;
  }
}

/**
 * A project or package folder, its runbooks/ and task folders (and each task module) and the given
 * files must belong to the user running runbook or to root, and be writable by nobody else:
 * otherwise whoever can write there chooses the code runbook runs.
 */
export async function assertTrusted(dir: string, more: { taskDirs?: string[]; files?: string[] } = {}): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const check = async (path: string, required: boolean) => {
    // Followed: a link is as trustworthy as what it leads to (the folder holding it is checked too).
    const s = await stat(path).catch(() => undefined);
    if (!s) {
      if (required) throw new Error(`${path} vanished`);
      return;
    }
    const problem = untrusted(s, uid);
    if (problem) {
      throw new UserError('project', `refusing to use ${dir}: ${path} ${problem}`, {
        hint: `runbook loads runbooks and task code from there; fix the owner or mode, or name your project with -C <dir>`,
      });
    }
  };
  await check(dir, true);
  await check(join(dir, 'runbooks'), false);
  for (const file of more.files ?? []) await check(file, false);
  // Everything under a task folder: task modules import their own helpers from subfolders.
  const walk = async (path: string, top: boolean): Promise<void> => {
    await check(path, !top);
    for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await walk(join(path, entry.name), false);
      else await check(join(path, entry.name), false);
    }
  };
  for (const tasks of [join(dir, 'tasks'), ...(more.taskDirs ?? [])]) await walk(tasks, true);
}

/** Why a file or folder is not under the user's sole control, or undefined when it is. */
export function untrusted(s: Stats, uid: number): string | undefined {
  if (s.uid !== uid && s.uid !== 0) return `belongs to uid ${s.uid}, not to you (uid ${uid}) or root`;
  if ((s.mode & 0o022) !== 0) return `is writable by ${(s.mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${(s.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
