// For the journal's CLI scenarios: temp projects, file-tree digests, journals read back, and a
// controller started in the background to be killed.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readJournal } from '../../src/journal/reader.js';
import { listRunIds } from '../../src/journal/store.js';
import { root } from '../cli/helpers.js';

export { ensureBuilt, exec, root, runbook, type Ran } from '../cli/helpers.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A project directory holding `runbooks/<name>.yaml` for each entry. */
export function makeProject(runbooks: Record<string, string>): string {
  const project = tempDir('runbook-journal-cli-');
  for (const [name, text] of Object.entries(runbooks)) writeText(join(project, 'runbooks', `${name}.yaml`), text);
  return project;
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The CLI in the background, for killing it mid-run; with `stderr`, its stderr is piped (read it). */
export function startRunbook(args: string[], cwd: string, options: { stdout?: boolean; stderr?: boolean } = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env['NODE_OPTIONS'];
  const piped = (yes: boolean | undefined) => (yes ? 'pipe' : 'ignore');
  return spawn(process.execPath, [join(root, 'dist/cli/main.js'), ...args], { cwd, env, stdio: ['ignore', piped(options.stdout), piped(options.stderr)] });
}

/**
 * Everything under `dir`, one line per entry (path, type, mode, sha256 of the content or the link
 * target): equal listings mean trees a user cannot tell apart.
 */
export function treeListing(dir: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const id = join(rel, name);
      const path = join(dir, id);
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) lines.push(`${id} link -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        lines.push(`${id} dir ${mode}`);
        walk(id);
      } else lines.push(`${id} file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}`);
    }
  };
  walk('');
  return lines.join('\n');
}

/** The ids of the project's runs, oldest first. */
export function runIds(project: string): Promise<string[]> {
  return listRunIds(project);
}

export async function journalOf(project: string, id: string) {
  return readJournal(project, id);
}
