// Where vault passwords come from, as ansible-playbook takes them: --vault-password-file <file>
// (repeatable), --vault-id [<id>@]<file|prompt> (repeatable), --ask-vault-pass, else the file
// named by RUNBOOK_VAULT_PASSWORD_FILE (or Ansible's ANSIBLE_VAULT_PASSWORD_FILE). A password
// file is read with its surrounding whitespace stripped; an executable one is run and its output
// is the password (a script reading a keychain or a secret manager), as Ansible does.

import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { canPrompt, promptSecret } from '../transport/ssh-prompt.js';
import type { VaultSecret } from '../vault/format.js';

export interface VaultFlags {
  vaultPasswordFile?: string[];
  vaultId?: string[];
  askVaultPass?: boolean;
}

/**
 * Gives the process the vault passwords the flags name, before the command loads anything. A bad
 * source is reported as the command's error, and the command does not run.
 */
export async function useVaultFlags(flags: VaultFlags): Promise<void> {
  if (!(flags.vaultPasswordFile?.length || flags.vaultId?.length || flags.askVaultPass || envFile())) return;
  const [{ useVaultSecrets }, { report }] = await Promise.all([import('../vault/keyring.js'), import('./action.js')]);
  try {
    useVaultSecrets(await vaultSecretsFrom(flags));
  } catch (e) {
    process.exit(await report(e));
  }
}

function envFile(): string | undefined {
  return process.env.RUNBOOK_VAULT_PASSWORD_FILE || process.env.ANSIBLE_VAULT_PASSWORD_FILE || undefined;
}

/** The passwords the flags give, in the order given (the environment's only when no flag gives one). */
export async function vaultSecretsFrom(flags: VaultFlags): Promise<VaultSecret[]> {
  const sources: Array<{ id: string; source: string }> = [
    ...(flags.vaultId ?? []).map(parseVaultId),
    ...(flags.vaultPasswordFile ?? []).map((source) => ({ id: 'default', source })),
  ];
  if (flags.askVaultPass) sources.push({ id: 'default', source: 'prompt' });
  const env = envFile();
  if (!sources.length && env) sources.push({ id: 'default', source: env });
  const secrets: VaultSecret[] = [];
  for (const { id, source } of sources) secrets.push({ id, password: source === 'prompt' ? await prompted(id) : await fromFile(source) });
  return secrets;
}

function parseVaultId(spec: string): { id: string; source: string } {
  const at = spec.indexOf('@');
  if (at < 0) return { id: 'default', source: spec };
  const id = spec.slice(0, at);
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new UserError('usage', `--vault-id ${spec}: the id must be letters, digits, '_', '.' or '-'`, { hint: 'e.g. --vault-id prod@~/.vault/prod' });
  return { id, source: spec.slice(at + 1) };
}

async function prompted(id: string): Promise<Buffer> {
  if (!canPrompt()) throw new UserError('usage', 'the vault password is asked on a terminal, and there is none', { hint: 'give it with --vault-password-file <file> or RUNBOOK_VAULT_PASSWORD_FILE' });
  const password = await promptSecret(id === 'default' ? 'Vault password: ' : `Vault password (${id}): `);
  return Buffer.from(password, 'utf8');
}

async function fromFile(file: string): Promise<Buffer> {
  let executable = false;
  try {
    accessSync(file, constants.X_OK);
    executable = true;
  } catch {
    // read it as a file
  }
  let text: Buffer;
  try {
    // A relative path is the file's, never a program looked up on PATH.
    text = executable ? await run(resolve(file)) : readFileSync(file);
  } catch (e) {
    throw new UserError('usage', `vault password file ${file}: ${executable ? (e as Error).message : `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`}`, { hint: 'give a readable file holding the password, or an executable that prints it' });
  }
  const password = Buffer.from(text.toString('utf8').trim(), 'utf8');
  if (!password.length) throw new UserError('usage', `vault password file ${file} is empty`);
  return password;
}

function run(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile(file, [], { encoding: 'buffer', timeout: 60_000 }, (e, stdout, stderr) =>
      e ? reject(new Error(`the script failed (${e.code ?? e.message}): ${stderr.toString().trim().split('\n').at(-1) ?? ''}`)) : resolve(stdout),
    ),
  );
}
