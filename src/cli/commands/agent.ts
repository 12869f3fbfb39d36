// `runbook agent`: the connection agent a run starts when RUNBOOK_CONTROL_PERSIST is set
// (transport/agent.ts). Hidden from the help: nobody starts it by hand.

import type { Command } from 'commander';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('agent', { hidden: true })
    .description('keep SSH connections between runs (started by a run when RUNBOOK_CONTROL_PERSIST is set)')
    .requiredOption('--socket <path>', 'the Unix socket to listen on')
    .requiredOption('--idle <seconds>', 'exit this long after the last run detached', Number)
    .action(
      action(async (flags: { socket: string; idle: number }) => {
        const { runAgent } = await import('../../transport/agent.js');
        await runAgent({
          socketPath: flags.socket,
          idleMs: flags.idle * 1000,
          log: (line) => process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`),
          ready: () => process.stdout.write('ready\n'),
        });
      }),
    );
}
