// A throwaway login account for tests of sudo (test/helpers/account.ts) with a password, whose
// sudo rule the test sets: the password asked for, or NOPASSWD. Needs root and sudo.

import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createAccount, type Account } from './account.js';

export interface SudoUser extends Account {
  password: string;
  /** Its sudo rule: any command as any user, asking for its password or not. */
  allow(rule: 'password' | 'nopasswd'): void;
}

export function sudoUser(name: string, password: string, home: string): SudoUser {
  if (!existsSync('/usr/bin/sudo')) throw new Error('sudo is not installed (.ci/system-deps installs it)');
  const account = createAccount(name, home);
  execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const sudoers = `/etc/sudoers.d/${name}`;
  return {
    ...account,
    password,
    allow(rule) {
      const spec = rule === 'nopasswd' ? 'NOPASSWD: ALL' : 'ALL';
      writeFileSync(sudoers, `${name} ALL=(ALL) ${spec}\nDefaults:${name} !lecture\n`, { mode: 0o440 });
    },
    remove() {
      rmSync(sudoers, { force: true });
      account.remove();
    },
  };
}
