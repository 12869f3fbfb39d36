// A throwaway login user for tests of sudo: a system user with /bin/sh and a password, whose sudo
// rule the test sets (the password asked for, or NOPASSWD). Needs root.

import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

export interface SudoUser {
  name: string;
  password: string;
  /** Its sudo rule: any command as any user, asking for its password or not. */
  allow(rule: 'password' | 'nopasswd'): void;
  /** Remove the rule and the user. */
  remove(): void;
}

export function sudoUser(name: string, password: string): SudoUser {
  if (!existsSync('/usr/bin/sudo')) throw new Error('sudo is not installed (.ci/system-deps installs it)');
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/tmp', '--shell', '/bin/sh', name]);
  }
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const sudoers = `/etc/sudoers.d/${name}`;
  return {
    name,
    password,
    allow(rule) {
      const spec = rule === 'nopasswd' ? 'NOPASSWD: ALL' : 'ALL';
      writeFileSync(sudoers, `${name} ALL=(ALL) ${spec}\nDefaults:${name} !lecture\n`, { mode: 0o440 });
    },
    remove() {
      rmSync(sudoers, { force: true });
      execFileSync('userdel', [name], { stdio: 'ignore' });
    },
  };
}
