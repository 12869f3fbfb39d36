// The closing table, Ansible's PLAY RECAP: one line per host.

import type { HostRecap } from '../engine/events.js';

export function formatRecap(recap: Record<string, HostRecap>): string {
  const hosts = Object.keys(recap);
  const width = Math.max(0, ...hosts.map((h) => h.length));
  const lines = hosts.map((h) => {
    const r = recap[h];
    return `${h.padEnd(width)} : ok=${r.ok} changed=${r.changed} unreachable=${r.unreachable} failed=${r.failed} skipped=${r.skipped} rescued=${r.rescued ?? 0 /* none in journals from before blocks */} ignored=${r.ignored}`;
  });
  return ['PLAY RECAP', ...lines].join('\n') + '\n';
}
