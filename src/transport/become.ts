// Which user a step's commands run as, and how a script runs as that user through sudo: decided
// in one place for the engine, for rollback (which must undo a change with the privileges that
// made it) and for every transport.

import { Readable } from 'node:stream';
import type { InventoryHost, Vars } from '../model.js';
import { quote } from '../shell/quote.js';
import type { Become, ExecOptions } from './types.js';

/** The sudo password when the inventory holds none (ansible_become_password); never logged. */
export const BECOME_PASSWORD_ENV = 'RUNBOOK_BECOME_PASSWORD';

/** A step's become (step settings over the host's ansible_become defaults); null: no escalation. */
export function resolveBecome(
  step: { become?: boolean; becomeUser?: string } | undefined,
  host: InventoryHost | undefined,
  vars: Vars,
): Become | null {
  if (!(step?.become ?? host?.become ?? false)) return null;
  const password = vars['ansible_become_password'] ?? vars['ansible_become_pass'] ?? process.env[BECOME_PASSWORD_ENV];
  return {
    user: step?.becomeUser ?? host?.becomeUser ?? 'root',
    ...(typeof password === 'string' ? { password } : {}),
  };
}

/**
 * Wrap a script to run as another user. Without a password: `sudo -n` (fail rather than hang on a
 * prompt). With one: the outer sh reads the password line off stdin, hands it to `sudo -S -v`
 * (which caches the credential), and the real command then runs under `sudo -n` with the rest of
 * stdin untouched. The password therefore never reaches the command's stdin, even when sudo
 * would not have asked for it (NOPASSWD, root, a cached credential), and never appears in argv
 * (printf is a shell builtin). The password goes first on stdin: see throughSudo.
 */
export function sudoScript(become: Become, script: string): string {
  const run = `sudo -n -H -u ${quote(become.user)} -- /bin/sh -c ${quote(script)}`;
  if (become.password === undefined) return run;
  return [
    `IFS= read -r runbook_become_password || exit 1`,
    `printf '%s\\n' "$runbook_become_password" | sudo -S -p '' -v 2>/dev/null || { unset runbook_become_password; echo 'sudo: the become password was refused' >&2; exit 1; }`,
    `unset runbook_become_password`,
    run,
  ].join('\n');
}

/** `script` and its stdin as one sudo runs them as `become.user`: the password line first, then the script's own input. */
export function throughSudo(become: Become, script: string, stdin: ExecOptions['stdin']): { script: string; stdin: ExecOptions['stdin'] } {
  const wrapped = sudoScript(become, script);
  if (become.password === undefined) return { script: wrapped, stdin };
  const line = Buffer.from(`${become.password}\n`);
  if (!(stdin instanceof Readable)) return { script: wrapped, stdin: stdin === undefined ? line : Buffer.concat([line, Buffer.from(stdin)]) };
  return {
    script: wrapped,
    stdin: Readable.from(
      (async function* () {
        yield line;
        yield* stdin;
      })(),
    ),
  };
}
