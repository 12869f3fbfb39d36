// Runs the calling suite again inside its own mount namespace, so that it can mount what a test
// needs over system paths (/var/lib/runbook, owned by another user; a planted directory) without
// touching the machine's. Call it first thing in a suite; it returns true in the re-run child.

import { spawnSync } from 'node:child_process';

const MARK = 'RUNBOOK_TEST_PRIVATE_MOUNTS';

export function inPrivateMounts(file: string): boolean {
  if (process.env[MARK]) return true;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, ...process.execArgv, file, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: '1' },
  });
  process.exit(r.status ?? 1);
}

/** A fresh tmpfs at `path` (made if missing), visible to this process and its children only. */
export function privateTmpfs(path: string, options: { uid?: number; mode?: number } = {}): void {
  run('mkdir', ['-p', path]);
  run('mount', ['-t', 'tmpfs', '-o', `mode=${(options.mode ?? 0o755).toString(8)},uid=${options.uid ?? 0}`, 'tmpfs', path]);
}

export function unmount(path: string): void {
  run('umount', [path]);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
