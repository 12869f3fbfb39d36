// The login user of the SSH benches: a system user with /bin/sh as its shell, created if missing.
// Root's ~/.bashrc on a developer machine (pyenv, cargo...) is sourced by bash for every command
// run over SSH and would be measured instead of the transport.

import { execFileSync } from 'node:child_process';

export const BENCH_USER = 'runbook-bench';

export function ensureBenchUser(): void {
  try {
    execFileSync('id', [BENCH_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/tmp', '--shell', '/bin/sh', BENCH_USER]);
  }
  // `*`: no password, but not locked (sshd without PAM refuses locked accounts even for keys).
  execFileSync('usermod', ['--password', '*', BENCH_USER]);
}
