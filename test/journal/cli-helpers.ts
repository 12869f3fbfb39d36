// Drives the built CLI (`node dist/cli/main.js`) in temp project directories, as a user would.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const cli = join(repo, 'dist', 'cli', 'main.js');

/** Compile src/ to dist/ unless it is up to date; suites running side by side build once. */
export function ensureBuilt(): void {
  const lock = join(tmpdir(), 'runbook-journal-tests-build.lock');
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      spawnSync('sleep', ['0.5']);
    }
  }
  try {
    if (newest(join(repo, 'src')) > mtime(cli)) {
      // Others' work in progress may not type-check; tsc still emits, and that is what runs.
      spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
    }
  } finally {
    unlinkSync(lock);
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : mtime(join(dir, e.name)))),
  );
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(project: string, args: string[]): Result {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function startCli(project: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, ...args], {
    cwd: project,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
  });
}

/** `output` for assertion messages. */
export function output(r: Result): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A project directory with `runbooks/<name>.yaml`. */
export function makeProject(runbooks: Record<string, string>): string {
  const project = tempDir('runbook-journal-cli-');
  mkdirSync(join(project, 'runbooks'));
  for (const [name, text] of Object.entries(runbooks)) writeText(join(project, 'runbooks', `${name}.yaml`), text);
  return project;
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * A digest of everything under `dir`: each entry's path, type, mode, and content or link
 * target. Two trees with the same digest are the same to a user.
 */
export function treeDigest(dir: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name);
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8);
      const id = join(rel, name);
      if (st.isSymbolicLink()) lines.push(`${id} link ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        lines.push(`${id} dir ${mode}`);
        walk(id);
      } else lines.push(`${id} file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk('');
  return createHash('sha256').update(lines.join('\n')).digest('hex') + `\n${lines.join('\n')}`;
}
