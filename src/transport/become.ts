// Which user a step's commands run as, decided in one place for the engine and for rollback
// (which must undo a change with the privileges that made it).

import type { InventoryHost, Vars } from '../model.js';
import type { Become } from './host.js';

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
