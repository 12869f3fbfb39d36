// A throwaway local account with its home in a test's temp tree, as a service account (kafka)
// would have one: for tests of what another user can do to root-run tasks.

import { execFileSync } from 'node:child_process';

export interface Account {
  name: string;
  uid: number;
  home: string;
  remove(): void;
}

export function createAccount(name: string, home: string): Account {
  // A suite that died before its teardown left its account behind: start from a new one.
  if (exists(name)) execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
  execFileSync('useradd', ['--create-home', '--home-dir', home, '--shell', '/bin/sh', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  return { name, uid, home, remove: () => execFileSync('userdel', ['--remove', name], { stdio: 'ignore' }) };
}

function exists(name: string): boolean {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
