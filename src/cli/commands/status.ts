// `runbook status`: the cluster as it is, before and after an operation, read-only over the same
// SSH transport as a play (no lock, no journal). Exit 0 healthy, 5 degraded, 6 down, so a monitor
// or a script can act on it; --json for machines (docs/status.schema.json), --html for people.

import type { Command } from 'commander';
import { action } from '../action.js';
import { exitCodesHelp } from '../../engine/exit-codes.js';

interface StatusFlags {
  inventory?: string;
  limit?: string;
  json?: boolean;
  html?: string;
  watch?: string;
  acceptNewHostKeys?: boolean;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('the cluster now: services, versions, ZooKeeper mode, brokers registered, controller, partitions, disks, the last run (read-only)')
    .option('-i, --inventory <path>', 'inventory file; default: the one runbook.yaml names')
    .option('-l, --limit <pattern>', 'only these hosts (cluster-wide counts then cover only them)')
    .option('--json', 'print the report as JSON (schema: docs/status.schema.json)')
    .option('--html <file>', 'also write the report as a self-contained HTML page')
    .option('--watch <seconds>', 'ask again every so many seconds until interrupted')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts')
    .addHelpText('after', `\n${exitCodesHelp([['ok', 'healthy'], 'badInput', 'degraded', 'down', 'internal'])}`)
    .action(action((flags: StatusFlags) => status(flags)));
}

async function status(flags: StatusFlags): Promise<number> {
  const [{ reach }, { gatherStatus }, { formatStatus }, { EXIT }, { UserError }] = await Promise.all([
    import('../reach.js'),
    import('../../status/gather.js'),
    import('../../status/text.js'),
    import('../../engine/exit-codes.js'),
    import('../../errors.js'),
  ]);
  const every = flags.watch === undefined ? undefined : Number(flags.watch);
  if (every !== undefined && !(every > 0)) throw new UserError('usage', `--watch ${flags.watch}: expected a number of seconds above 0`);
  const once = async (): Promise<number> => {
    const reached = await reach(flags, flags.limit);
    let report;
    try {
      report = await gatherStatus(reached.inventory, reached.hosts);
    } finally {
      await reached.close();
    }
    if (flags.html) {
      const [{ writeFile }, { statusHtml }] = await Promise.all([import('node:fs/promises'), import('../../status/html.js')]);
      await writeFile(flags.html, statusHtml(report));
    }
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      if (every !== undefined && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
      process.stdout.write(formatStatus(report, process.stdout.isTTY === true && !process.env.NO_COLOR));
    }
    return report.health === 'healthy' ? EXIT.ok : report.health === 'degraded' ? EXIT.degraded : EXIT.down;
  };
  if (every === undefined) return once();
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let code: number = EXIT.ok;
  while (!stop.signal.aborted) {
    code = await once();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, every * 1000);
      stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return code;
}
