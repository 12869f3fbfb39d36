// `runbook vault encrypt|decrypt|view|edit|encrypt-string`: Ansible Vault files and values, in
// Ansible's own format (src/vault/format.ts), so a team keeps one set of vaults for both tools.
// Passwords come from the global flags (--vault-password-file, --vault-id, --ask-vault-pass,
// RUNBOOK_VAULT_PASSWORD_FILE), else from a prompt. Files are rewritten atomically with their mode;
// `edit` decrypts into a private temporary directory, removed however the editor ends.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  const vault = program.command('vault').description('encrypt, decrypt, view and edit Ansible Vault files, and encrypt values for `!vault` (ansible-vault\'s format)');
  vault
    .command('encrypt <file...>')
    .description('encrypt files in place (with the first vault password given, or one asked twice)')
    .action(action(async (files: string[]) => (await import('../vault-files.js')).encryptFiles(files)));
  vault
    .command('decrypt <file...>')
    .description('decrypt files in place')
    .action(action(async (files: string[]) => (await import('../vault-files.js')).decryptFiles(files)));
  vault
    .command('view <file>')
    .description('print a vaulted file decrypted')
    .action(action(async (file: string) => (await import('../vault-files.js')).viewFile(file)));
  vault
    .command('edit <file>')
    .description('decrypt a file into a private temporary file, open $EDITOR, encrypt it again if it changed')
    .action(action(async (file: string) => (await import('../vault-files.js')).editFile(file)));
  vault
    .command('encrypt-string')
    .description('encrypt a value read from stdin (asked without echo on a terminal) as `name: !vault |` for an inventory or vars file')
    .option('--name <var>', 'the var name to print it under', 'secret')
    .action(action(async (flags: { name: string }) => (await import('../vault-files.js')).encryptString(flags.name)));
}
