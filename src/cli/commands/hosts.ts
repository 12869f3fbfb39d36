// `runbook history` and `runbook unlock`: what runs left on the hosts themselves (their
// history.jsonl and run lock, src/engine/host-record.ts), read over SSH from any machine, so a
// team sees who ran what on a cluster and can break the lock of a controller that died.

import type { Command } from 'commander';
import { action } from '../action.js';
import type { HostShell } from '../../transport/host.js';

interface HostFlags {
  inventory?: string;
  limit?: string;
  host?: string;
  last: string;
  acceptNewHostKeys?: boolean;
}

export function register(program: Command): void {
  program
    .command('history')
    .description("the latest runs on each host, read from the hosts' own history (any machine, any operator)")
    .option('-i, --inventory <path>', 'inventory file; default: the one runbook.yaml names')
    .option('-l, --limit <pattern>', 'only these hosts')
    .option('-n, --last <count>', 'runs per host', '10')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts')
    .action(action((flags: HostFlags) => history(flags)));
  program
    .command('unlock')
    .description('break the run lock on hosts whose run is gone (a controller killed or lost), after showing who held it')
    .option('-i, --inventory <path>', 'inventory file; default: the one runbook.yaml names')
    .option('--host <pattern>', 'only these hosts (default: every host of the inventory)')
    .option('--accept-new-host-keys', 'record host keys of hosts not yet in known_hosts')
    .action(action((flags: HostFlags) => unlock(flags)));
}

/** A root shell on each host the pattern names, with its lock and history directory. */
async function reachRecords(flags: HostFlags, pattern: string | undefined) {
  const [{ reach }, records] = await Promise.all([import('../reach.js'), import('../../engine/host-record.js')]);
  const reached = await reach(flags, pattern);
  const hosts = reached.hosts.map((h): { name: string; dir?: string; machine?: string; shell?: HostShell; error?: string; local?: true } => {
    if (!h.login) return { name: h.name, error: h.error ?? 'unreachable' };
    try {
      return records.lockedHost(h.host, h.login, h.vars) ?? { name: h.name, local: true, error: 'connection local: this machine keeps no host lock or history' };
    } catch (e) {
      return { name: h.name, error: (e as Error).message };
    }
  });
  return { hosts: oneLinePerMachine(hosts), records, close: reached.close };
}

/** Members of one machine (instances) share its lock and history: one row, naming them all. */
function oneLinePerMachine<H extends { name: string; dir?: string; machine?: string }>(hosts: H[]): H[] {
  const seen = new Map<string, H>();
  const out: H[] = [];
  for (const h of hosts) {
    const key = h.machine !== undefined && h.dir !== undefined ? `${h.machine}\n${h.dir}` : undefined;
    const first = key === undefined ? undefined : seen.get(key);
    if (first) first.name += `,${h.name}`;
    else {
      const row = { ...h };
      if (key !== undefined) seen.set(key, row);
      out.push(row);
    }
  }
  return out;
}

async function history(flags: HostFlags): Promise<number> {
  const count = Number(flags.last);
  const { UserError } = await import('../../errors.js');
  if (!Number.isInteger(count) || count < 1) throw new UserError('usage', `--last ${flags.last}: expected a whole number of at least 1`);
  const { formatTable } = await import('../../ui/table.js');
  const { hosts, records, close } = await reachRecords(flags, flags.limit);
  let unreachable = 0;
  try {
    const rows: string[][] = [];
    for (const h of hosts) {
      if (!h.shell || !h.dir) {
        if (!h.local) unreachable++;
        rows.push([h.name, '', '', '', '', h.local ? 'local' : 'UNREACHABLE', h.error ?? '']);
        continue;
      }
      const found = await records.readHistory(h.shell, h.dir, count);
      if (!found.length) rows.push([h.name, '', '', '', '', 'no runs recorded', '']);
      for (const r of found.reverse()) {
        const commit = r.commit ? `${r.commit.slice(0, 10)}${r.dirty ? '+dirty' : ''}` : '';
        rows.push([h.name, r.start.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), r.run, r.runbook, `${r.operator}@${r.controller}`, r.result, `${r.changed.length} changed${commit ? `, ${commit}` : ''}`]);
      }
    }
    process.stdout.write(formatTable(['HOST', 'START', 'RUN', 'RUNBOOK', 'OPERATOR', 'RESULT', 'CHANGES'], rows));
  } finally {
    await close();
  }
  return unreachable ? 4 : 0;
}

async function unlock(flags: HostFlags): Promise<number> {
  const { hosts, records, close } = await reachRecords(flags, flags.host);
  let unreachable = 0;
  try {
    for (const h of hosts) {
      if (!h.shell || !h.dir) {
        if (!h.local) unreachable++;
        console.log(`${h.name}: ${h.local ? '' : 'unreachable: '}${h.error}`);
        continue;
      }
      const held = await records.readLock(h.shell, h.dir);
      if (!held) {
        console.log(`${h.name}: not locked`);
        continue;
      }
      await records.breakLock(h.shell, h.dir);
      console.log(`${h.name}: broke the lock of ${records.describeHolder(held.holder)}, last renewed ${held.age} s ago`);
    }
  } finally {
    await close();
  }
  return unreachable ? 4 : 0;
}
