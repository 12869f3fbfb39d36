// The vault passwords this process was given (--vault-password-file, --vault-id, --ask-vault-pass,
// RUNBOOK_VAULT_PASSWORD_FILE), and every value they revealed. Loading opens vaulted files and
// `!vault` values with them wherever they are met (inventories, -e files, runbooks); the revealed
// values are secrets for the whole process: the engine masks them in every event, diff and log,
// and a run's header never holds them, whatever the var that carries one is called.

import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { decryptVault, isVaulted, VaultError, type VaultSecret } from './format.js';

let secrets: readonly VaultSecret[] = [];
const revealed = new Set<string>();

export function useVaultSecrets(given: readonly VaultSecret[]): void {
  secrets = given;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return secrets;
}

/** Every string and number a vault revealed (leaves of a vaulted file's values included). */
export function revealedSecrets(): ReadonlySet<string> {
  return revealed;
}

/** Counts `value` (each string and number inside it) as revealed by a vault. */
export function markRevealed(value: unknown): void {
  if (typeof value === 'string' && value !== '') revealed.add(value);
  else if (typeof value === 'number') revealed.add(String(value));
  else if (Array.isArray(value)) value.forEach(markRevealed);
  else if (value && typeof value === 'object') Object.values(value).forEach(markRevealed);
}

/** True when `value` is, or holds, a revealed secret: a var carrying one is a secret var. */
export function holdsRevealed(value: unknown): boolean {
  if (revealed.size === 0) return false;
  if (typeof value === 'string' || typeof value === 'number') return revealed.has(String(value));
  if (Array.isArray(value)) return value.some(holdsRevealed);
  if (value && typeof value === 'object') return Object.values(value).some(holdsRevealed);
  return false;
}

const HOW = 'give the vault password: --vault-password-file <file>, --vault-id <id>@<file|prompt>, --ask-vault-pass, or RUNBOOK_VAULT_PASSWORD_FILE';

/** The plaintext of a vault text met in `what` (a file, or a value in it); revealed from then on. */
export function openVault(text: string, what: string, pos?: SourcePos): string {
  let plain: string;
  try {
    plain = decryptVault(text, secrets).toString('utf8');
  } catch (e) {
    if (!(e instanceof VaultError)) throw e;
    throw new UserError('vault', `${what} is encrypted with Ansible Vault, and ${e.message}`, { ...(pos ? { pos } : {}), hint: secrets.length ? 'check the password, or give the one for its vault id' : HOW });
  }
  markRevealed(plain);
  return plain;
}

/** A whole file's text, opened when it is vaulted (then `vaulted` is true and every value in it is a secret). */
export function openIfVaulted(file: string, text: string): { text: string; vaulted: boolean } {
  return isVaulted(text) ? { text: openVault(text, file), vaulted: true } : { text, vaulted: false };
}
