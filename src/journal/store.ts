// Where runs live: `.runbook/runs/<id>/{header.json,journal.jsonl}` under the project directory,
// private to the user (0700) because undo records hold previous file contents.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { RunHeader } from './records.js';

export const HEADER_FILE = 'header.json';
export const JOURNAL_FILE = 'journal.jsonl';

export function stateDir(projectDir: string): string {
  return join(projectDir, '.runbook');
}

export function runsDir(projectDir: string): string {
  return join(stateDir(projectDir), 'runs');
}

export function runDir(projectDir: string, id: string): string {
  return join(runsDir(projectDir), id);
}

/** `20261122T120501Z-ab12`: UTC second, then random; sorts by start time as a plain string. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

/** Create the run's directory and write its header durably. */
export async function createRun(header: RunHeader): Promise<string> {
  await mkdir(stateDir(header.projectDir), { recursive: true, mode: 0o700 });
  await mkdir(runsDir(header.projectDir), { recursive: true, mode: 0o700 });
  const dir = runDir(header.projectDir, header.id);
  await mkdir(dir, { mode: 0o700 });
  const file = await open(join(dir, HEADER_FILE), 'wx', 0o600);
  try {
    await file.writeFile(JSON.stringify(header, null, 2) + '\n');
    await file.datasync();
  } finally {
    await file.close();
  }
  return dir;
}

export async function readHeader(projectDir: string, id: string): Promise<RunHeader> {
  const path = join(runDir(projectDir, id), HEADER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError('run', `no run ${JSON.stringify(id)} in ${runsDir(projectDir)}`, {
        hint: 'list the runs with `runbook runs`',
      });
    }
    throw e;
  }
  let header: RunHeader;
  try {
    header = JSON.parse(text) as RunHeader;
  } catch (e) {
    throw damagedHeader(path, (e as Error).message);
  }
  if (!header || typeof header !== 'object' || header.id !== id || !Array.isArray(header.steps) || typeof header.runbook?.name !== 'string') {
    throw damagedHeader(path, 'it is not a run header');
  }
  return header;
}

function damagedHeader(path: string, why: string): UserError {
  return new UserError('journal', `${path} is damaged: ${why}`, {
    hint: 'the run cannot be resumed or rolled back without its header; restore the file from a backup, or move the run directory away',
  });
}

/** Run ids, oldest first. */
export async function listRunIds(projectDir: string): Promise<string[]> {
  try {
    return (await readdir(runsDir(projectDir))).filter((n) => RUN_ID.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

