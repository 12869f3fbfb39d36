// `runbook status` on a terminal or in a log: the verdict and the problems first (coloured on a
// terminal, plain otherwise), then a row per host and the cluster's numbers. Values from the
// hosts go through `printable`, so a hostile config value cannot drive the terminal.

import { styleText } from 'node:util';
import { printable } from '../ui/lines.js';
import { formatTable } from '../ui/table.js';
import type { DataDir, HostFacts, Problem, StatusReport } from './report.js';

type Paint = (style: 'red' | 'yellow' | 'green' | 'bold' | 'dim', text: string) => string;

const SEVERITY_STYLE = { down: 'red', degraded: 'yellow', warning: 'dim' } as const;
const HEALTH_STYLE = { healthy: 'green', degraded: 'yellow', down: 'red' } as const;

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function diskText(dirs: DataDir[]): string {
  return dirs.map((d) => (d.error ? `${d.path} ?` : `${d.path} ${d.used_percent}% (${bytes(d.available_bytes ?? 0)} free)`)).join(', ');
}

function service(f: { unit: { active: string; enabled: string }; version?: string } | undefined): string {
  if (!f) return '';
  const state = f.unit.active || 'no unit';
  return `${state}${f.unit.enabled && f.unit.enabled !== 'enabled' ? `/${f.unit.enabled}` : ''}${f.version ? ` ${f.version}` : ''}`;
}

export function zookeeperCell(h: HostFacts): string {
  const z = h.zookeeper;
  if (!z) return '';
  return [service(z), z.mode, z.outstanding !== undefined ? `${z.outstanding} queued` : '', z.node_count !== undefined ? `${z.node_count} znodes` : ''].filter(Boolean).join(', ');
}

export function kafkaCell(h: HostFacts): string {
  const k = h.kafka;
  if (!k) return '';
  const role = [k.broker_id !== undefined ? `id ${k.broker_id}` : '', k.process_roles ? `KRaft ${k.process_roles}` : '', k.registered === false ? 'NOT REGISTERED' : k.registered ? 'registered' : '', k.active_controller ? 'controller' : ''];
  return [service(k), ...role].filter(Boolean).join(', ');
}

export function problemLine(p: Problem): string {
  return `${p.severity.toUpperCase()}  ${p.host ? `${p.host}: ` : ''}${p.message}`;
}

export function formatStatus(report: StatusReport, colour: boolean): string {
  // The caller decides (a terminal, NO_COLOR): styleText would look at the stream again.
  const paint: Paint = colour ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
  const out: string[] = [];
  const c = report.cluster;
  out.push(paint('bold', paint(HEALTH_STYLE[report.health], report.health.toUpperCase())) + `  ${report.hosts.length} host(s), ${report.time}`);
  for (const p of report.problems) out.push(paint(SEVERITY_STYLE[p.severity], printable(problemLine(p))));
  out.push('');
  const rows = report.hosts.map((h) =>
    h.reachable
      ? [h.name, zookeeperCell(h), kafkaCell(h), h.java ?? '', diskText([...(h.zookeeper?.data_dirs ?? []), ...(h.kafka?.data_dirs ?? [])]), h.last_run ? `${h.last_run.runbook} ${h.last_run.result} ${h.last_run.start.slice(0, 16).replace('T', ' ')}` : '']
      : [h.name, 'UNREACHABLE', h.error ?? '', '', '', ''],
  );
  out.push(printable(formatTable(['HOST', 'ZOOKEEPER', 'KAFKA', 'JAVA', 'DISK', 'LAST RUN'], rows)).trimEnd());
  out.push('');
  if (c.zookeeper) {
    const z = c.zookeeper;
    out.push(`zookeeper: ${z.serving.length}/${z.members.length} serving, ${z.quorum ? 'quorum' : 'NO QUORUM'}${z.leader ? `, leader ${z.leader}` : ''}`);
  }
  if (c.kafka) {
    const k = c.kafka;
    const counts = k.partitions !== undefined ? `, ${k.topics} topic(s), ${k.partitions} partition(s): ${k.under_replicated.length} under-replicated, ${k.offline.length} offline, ${k.under_min_isr.length} under min ISR` : '';
    out.push(
      `kafka: ${k.registered.length}/${k.expected.length} brokers registered${k.active_controller !== undefined ? `, controller ${k.active_controller}` : ''}${counts}${k.read_from ? ` (asked on ${k.read_from})` : ''}`,
    );
  }
  return out.join('\n') + '\n';
}
