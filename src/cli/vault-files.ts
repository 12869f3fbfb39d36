// What `runbook vault` does to files (commands/vault.ts): each file read whole, checked to be (or
// not be) vaulted before anything is written, written to a temporary file beside it with its mode
// and renamed over it, so a failure leaves the old file whole. A link is followed to its target,
// which is rewritten, the link kept, as ansible-vault does.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { canPrompt, promptSecret } from '../transport/ssh-prompt.js';
import { decryptVault, encryptVault, isVaulted, vaultIdOf, VaultError, type VaultSecret } from '../vault/format.js';
import { useVaultSecrets, vaultSecrets } from '../vault/keyring.js';

/** Replaces `file`'s content atomically, keeping its mode. */
function rewrite(file: string, content: string | Buffer): void {
  const target = realpathSync(file);
  const mode = statSync(target).mode & 0o7777;
  const tmp = join(dirname(target), `.${basename(target)}.runbook-vault-${process.pid}`);
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError('file', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {}, { cause: e });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError('file', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {}, { cause: e });
  }
}

/** The passwords given, or one asked for when none was. */
async function secretsToOpen(): Promise<readonly VaultSecret[]> {
  if (vaultSecrets().length) return vaultSecrets();
  if (!canPrompt()) throw new UserError('usage', 'no vault password was given', { hint: 'give it with --vault-password-file <file>, --vault-id <id>@<file>, or RUNBOOK_VAULT_PASSWORD_FILE' });
  const asked = [{ id: 'default', password: Buffer.from(await promptSecret('Vault password: '), 'utf8') }];
  useVaultSecrets(asked);
  return asked;
}

/** The password to encrypt with: the first given, or a new one asked twice. */
async function secretToEncrypt(): Promise<VaultSecret> {
  const [first] = vaultSecrets();
  if (first) return first;
  if (!canPrompt()) throw new UserError('usage', 'no vault password was given to encrypt with', { hint: 'give it with --vault-password-file <file> or --vault-id <id>@<file>' });
  const password = await promptSecret('New vault password: ');
  if ((await promptSecret('Confirm new vault password: ')) !== password) throw new UserError('usage', 'the two passwords differ: nothing was encrypted');
  if (!password) throw new UserError('usage', 'an empty vault password: nothing was encrypted');
  const secret = { id: 'default', password: Buffer.from(password, 'utf8') };
  useVaultSecrets([secret]);
  return secret;
}

function open(file: string, text: string, secrets: readonly VaultSecret[]): Buffer {
  try {
    return decryptVault(text, secrets);
  } catch (e) {
    if (e instanceof VaultError) throw new UserError('vault', `${file}: ${e.message}`, { hint: 'check the password, or give the one for its vault id (--vault-id <id>@<file>)' });
    throw e;
  }
}

export async function encryptFiles(files: string[]): Promise<void> {
  const texts = files.map((f) => ({ file: f, text: read(f) }));
  const already = texts.filter((t) => isVaulted(t.text)).map((t) => t.file);
  if (already.length) throw new UserError('usage', `already encrypted: ${already.join(', ')}`, { hint: 'nothing was changed; `runbook vault edit` changes a vaulted file' });
  const secret = await secretToEncrypt();
  for (const { file, text } of texts) rewrite(file, encryptVault(text, secret));
  process.stderr.write(`encrypted ${files.length} file${files.length === 1 ? '' : 's'}\n`);
}

export async function decryptFiles(files: string[]): Promise<void> {
  const texts = files.map((f) => ({ file: f, text: read(f) }));
  const plain = texts.filter((t) => !isVaulted(t.text)).map((t) => t.file);
  if (plain.length) throw new UserError('usage', `not encrypted: ${plain.join(', ')}`, { hint: 'nothing was changed' });
  const secrets = await secretsToOpen();
  // Every file opened before any is written: a wrong password for one changes none.
  const opened = texts.map((t) => ({ file: t.file, plain: open(t.file, t.text, secrets) }));
  for (const { file, plain: content } of opened) rewrite(file, content);
  process.stderr.write(`decrypted ${files.length} file${files.length === 1 ? '' : 's'}\n`);
}

export async function viewFile(file: string): Promise<void> {
  const text = read(file);
  if (!isVaulted(text)) throw new UserError('usage', `${file} is not encrypted`, { hint: 'read it as it is' });
  process.stdout.write(open(file, text, await secretsToOpen()));
}

export async function editFile(file: string): Promise<void> {
  const text = read(file);
  if (!isVaulted(text)) throw new UserError('usage', `${file} is not encrypted`, { hint: '`runbook vault encrypt` it first' });
  const secrets = await secretsToOpen();
  const before = open(file, text, secrets);
  // Encrypted again for the vault id it had, with the password that opened it.
  const id = vaultIdOf(text) ?? 'default';
  const secret = secrets.find((s) => {
    try {
      decryptVault(text, [s]);
      return true;
    } catch {
      return false;
    }
  })!;
  const dir = mkdtempSync(join(tmpdir(), 'runbook-vault-'));
  try {
    const plain = join(dir, basename(file));
    writeFileSync(plain, before, { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    // The editor as the user's shell would run it ("code --wait" is two words).
    const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', plain], { stdio: 'inherit' });
    if (r.status !== 0) throw new UserError('usage', `the editor (${editor}) exited ${r.status ?? r.signal}: ${file} is unchanged`);
    const after = readFileSync(plain);
    if (after.equals(before)) {
      process.stderr.write(`${file}: no change\n`);
      return;
    }
    rewrite(file, encryptVault(after, { id, password: secret.password }));
    process.stderr.write(`${file}: encrypted again\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function encryptString(name: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError('usage', `--name ${name}: a var name is letters, digits and '_'`);
  const value = canPrompt() ? await promptSecret(`Value of ${name}: `) : readFileSync(0, 'utf8');
  const secret = await secretToEncrypt();
  const body = encryptVault(value, secret).trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
  process.stdout.write(`${name}: !vault |\n${body}\n`);
}
