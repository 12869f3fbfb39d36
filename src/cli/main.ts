#!/usr/bin/env node
// The `runbook` command. Start-up stays fast: this file loads only commander and the command
// modules, which import their heavy parts (yaml, zod, handlebars, listr2, ssh2) inside their
// actions, so `runbook --help` pays for none of them.

import { Command } from 'commander';
import { register as play } from './commands/play.js';
import { register as validate } from './commands/validate.js';
import { register as show } from './commands/show.js';
import { register as list } from './commands/list.js';
import { register as doc } from './commands/doc.js';
import { register as schema } from './commands/schema.js';
import { register as resume } from './commands/resume.js';
import { register as rollback } from './commands/rollback.js';
import { register as runs } from './commands/runs.js';
import { register as lab } from './commands/lab.js';
import { register as convert } from './commands/convert.js';
import { register as init } from './commands/init.js';
import { register as hosts } from './commands/hosts.js';
import { register as status } from './commands/status.js';
import { register as vault } from './commands/vault.js';
import { register as agent } from './commands/agent.js';
import { setProjectDir } from '../project/find.js';
import { runbookVersion } from '../project/version.js';
import { exitCodesHelp } from '../engine/exit-codes.js';
import type { VaultFlags } from './vault-secrets.js';
import { isOutputGone } from '../errors.js';

// Output nobody reads any more (`runbook play | head`, a closed terminal) is no reason to crash:
// a run in progress stops in order instead (journal/session.ts), anything else goes on unheard.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (!isOutputGone(e)) throw e;
  });
}

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('runbook')
  .description('Ansible-style declarative runbooks over SSH: idempotent TypeScript tasks, check mode, diffs, journal, resume and rollback')
  .version(runbookVersion())
  .showHelpAfterError()
  .option('-C, --project <dir>', 'the project directory (default: the nearest folder with runbook.yaml or runbooks/ at or above the working directory, up to your home; or RUNBOOK_PROJECT)')
  .option('--vault-password-file <file>', 'a file holding an Ansible Vault password, or an executable printing it (repeatable; default: RUNBOOK_VAULT_PASSWORD_FILE)', collect, [])
  .option('--vault-id <[id@]source>', 'a vault password for a vault id, from a file or "prompt" (repeatable)', collect, [])
  .option('--ask-vault-pass', 'ask for the vault password on the terminal')
  .hook('preAction', async (command) => {
    const flags = command.opts<{ project?: string } & VaultFlags>();
    setProjectDir(flags.project);
    // Loaded here, not above: `runbook --help` pays for none of it.
    await (await import('./vault-secrets.js')).useVaultFlags(flags);
  })
  .addHelpText('after', `\n${exitCodesHelp()}`);

init(program);
convert(program);
play(program);
validate(program);
show(program);
list(program);
doc(program);
schema(program);
resume(program);
rollback(program);
runs(program);
hosts(program);
status(program);
vault(program);
lab(program);
agent(program);

await program.parseAsync(process.argv);
