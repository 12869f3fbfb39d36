// Where the project is: the nearest ancestor of the working directory that has a runbooks/
// folder (so `runbook` works from any subdirectory), else the working directory.

import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export async function findProjectDir(cwd: string = process.cwd()): Promise<string> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (await isDir(join(dir, 'runbooks'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
