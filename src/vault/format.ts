// Ansible Vault's format, read and written with Node's crypto: `$ANSIBLE_VAULT;1.1;AES256` (or
// `1.2;AES256;<vault id>`), then the hex of "hex(salt)\nhmac\nhex(ciphertext)" in 80-column lines.
// The keys come from PBKDF2-HMAC-SHA256 (10000 rounds, 80 bytes: the AES-256 key, the HMAC-SHA256
// key, the CTR counter block); the plaintext is PKCS#7-padded, encrypted with AES-256-CTR, and the
// HMAC covers the ciphertext. Files made here open with ansible-vault and the other way round.

import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const ROUNDS = 10_000;
const BLOCK = 16;

/** A password and the vault id it is for ('default' when none was given, as Ansible names it). */
export interface VaultSecret {
  id: string;
  password: Buffer;
}

export class VaultError extends Error {}

/** True when `text` is vault-encrypted (a whole file, or an inline `!vault` value). */
export function isVaulted(text: string): boolean {
  return text.trimStart().startsWith(`${VAULT_HEADER};`);
}

interface Envelope {
  version: string;
  id?: string;
  body: Buffer;
}

function parseEnvelope(text: string): Envelope {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const fields = header.trim().split(';');
  if (fields[0] !== VAULT_HEADER || fields.length < 3) throw new VaultError('not an Ansible Vault text (no $ANSIBLE_VAULT header)');
  const [, version, cipher, id] = fields;
  if (version !== '1.1' && version !== '1.2') throw new VaultError(`vault format ${version} is not supported (1.1 and 1.2 are)`);
  if (cipher !== 'AES256') throw new VaultError(`vault cipher ${cipher} is not supported (AES256 is)`);
  const hex = lines.join('').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new VaultError('the vault body is not hexadecimal: the file is damaged');
  return { version, ...(version === '1.2' && id ? { id } : {}), body: Buffer.from(hex, 'hex') };
}

function keys(password: Buffer, salt: Buffer) {
  const derived = pbkdf2Sync(password, salt, ROUNDS, 2 * 32 + BLOCK, 'sha256');
  return { cipherKey: derived.subarray(0, 32), hmacKey: derived.subarray(32, 64), counter: derived.subarray(64) };
}

/** The vault id a text was encrypted for, if it names one (format 1.2). */
export function vaultIdOf(text: string): string | undefined {
  return parseEnvelope(text).id;
}

/**
 * The plaintext of a vault text. Secrets for its vault id are tried first, then the others (as
 * Ansible does); a VaultError when none opens it, or the text is damaged.
 */
export function decryptVault(text: string, secrets: readonly VaultSecret[]): Buffer {
  const { id, body } = parseEnvelope(text);
  const parts = body.toString('latin1').split('\n');
  if (parts.length !== 3 || !parts.every((p) => /^([0-9a-fA-F]{2})+$/.test(p))) throw new VaultError('the vault body is not salt, HMAC and ciphertext: the file is damaged');
  const [salt, mac, ciphertext] = parts.map((p) => Buffer.from(p, 'hex'));
  const ordered = [...secrets.filter((s) => s.id === id), ...secrets.filter((s) => s.id !== id)];
  for (const secret of ordered) {
    const k = keys(secret.password, salt);
    const expected = createHmac('sha256', k.hmacKey).update(ciphertext).digest();
    if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) continue;
    const decipher = createDecipheriv('aes-256-ctr', k.cipherKey, k.counter);
    return unpad(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  }
  throw new VaultError(secrets.length ? `no vault password given opens it${id ? ` (vault id ${id})` : ''}` : 'no vault password was given');
}

/** Vault text for `plaintext` (format 1.1, or 1.2 when the secret's id is not 'default'), ending in a newline. */
export function encryptVault(plaintext: Buffer | string, secret: VaultSecret): string {
  const salt = randomBytes(32);
  const k = keys(secret.password, salt);
  const cipher = createCipheriv('aes-256-ctr', k.cipherKey, k.counter);
  const ciphertext = Buffer.concat([cipher.update(pad(Buffer.from(plaintext))), cipher.final()]);
  const mac = createHmac('sha256', k.hmacKey).update(ciphertext).digest('hex');
  const body = Buffer.from([salt.toString('hex'), mac, ciphertext.toString('hex')].join('\n'), 'latin1').toString('hex');
  const header = secret.id === 'default' ? `${VAULT_HEADER};1.1;AES256` : `${VAULT_HEADER};1.2;AES256;${secret.id}`;
  return [header, ...(body.match(/.{1,80}/g) ?? [])].join('\n') + '\n';
}

function pad(b: Buffer): Buffer {
  const n = BLOCK - (b.length % BLOCK);
  return Buffer.concat([b, Buffer.alloc(n, n)]);
}

function unpad(b: Buffer): Buffer {
  const n = b.length ? b[b.length - 1] : 0;
  if (n < 1 || n > BLOCK || n > b.length || !b.subarray(b.length - n).every((x) => x === n)) throw new VaultError('the decrypted text has no valid padding: the file is damaged');
  return b.subarray(0, b.length - n);
}
