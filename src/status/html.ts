// `runbook status --html <file>`: the same report as one self-contained page (no script, no
// external file) to share in an incident channel: a banner in the verdict's colour, the problems,
// the partitions' health as a bar, and a table per host. Every value is escaped.

import { escapeHtml as escape } from '../ui/html.js';
import { bytes } from './text.js';
import type { HostFacts, StatusReport } from './report.js';

/** The banner colours; the Chromium test looks for them in a screenshot. */
export const HEALTH_COLOUR = { healthy: '#2e7d32', degraded: '#f9a825', down: '#c62828' } as const;


function rows(pairs: [string, unknown][]): string {
  return pairs
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`)
    .join('');
}

function hostTable(h: HostFacts): string {
  if (!h.reachable) return `<section><h2>${escape(h.name)}</h2><p class="bad">not reached: ${escape(h.error ?? '')}</p></section>`;
  const z = h.zookeeper;
  const k = h.kafka;
  const dirs = (ds: NonNullable<typeof z>['data_dirs']) => ds.map((d) => (d.error ? `${d.path}: ${d.error}` : `${d.path}: ${d.used_percent}% used, ${bytes(d.available_bytes ?? 0)} free`)).join('; ');
  const heap = (x?: { xms?: string; xmx?: string }) => (x ? [x.xms && `-Xms${x.xms}`, x.xmx && `-Xmx${x.xmx}`].filter(Boolean).join(' ') : undefined);
  const pairs: [string, unknown][] = [['Java', h.java]];
  if (z) {
    pairs.push(
      ['ZooKeeper', `${z.unit.active || 'no unit'} / ${z.unit.enabled || '-'}`],
      ['ZooKeeper version', z.version],
      ['ZooKeeper mode', z.mode ?? z.error],
      ['Outstanding requests', z.outstanding],
      ['Znodes', z.node_count],
      ['Client port', z.client_port],
      ['ZooKeeper data', dirs(z.data_dirs)],
      ['ZooKeeper heap', heap(z.heap)],
    );
  }
  if (k) {
    pairs.push(
      ['Kafka', `${k.unit.active || 'no unit'} / ${k.unit.enabled || '-'}`],
      ['Kafka version', k.version],
      ['Broker id', k.broker_id],
      ['KRaft roles', k.process_roles],
      ['Registered', k.registered === undefined ? undefined : k.registered ? 'yes' : 'NO'],
      ['Active controller', k.active_controller ? 'yes' : undefined],
      ['Listeners', k.listeners.map((l) => `${l.listener} ${l.reachable ? 'reachable' : 'NOT REACHABLE'}`).join('; ')],
      ['Kafka data', dirs(k.data_dirs)],
      ['Kafka heap', heap(k.heap)],
    );
  }
  if (h.last_run) pairs.push(['Last run', `${h.last_run.runbook} ${h.last_run.result} at ${h.last_run.start} by ${h.last_run.operator}@${h.last_run.controller} (${h.last_run.changed} changed)`]);
  return `<section><h2>${escape(h.name)}</h2><table>${rows(pairs)}</table></section>`;
}

/** Healthy, under-replicated, under min ISR and offline partitions as one stacked bar. */
function partitionChart(r: StatusReport): string {
  const k = r.cluster.kafka;
  if (!k || k.partitions === undefined || k.partitions === 0) return '';
  const bad = new Set([...k.offline, ...k.under_replicated, ...k.under_min_isr]);
  const parts = [
    { label: 'in sync', n: k.partitions - bad.size, colour: HEALTH_COLOUR.healthy },
    { label: 'under-replicated', n: k.under_replicated.filter((p) => !k.under_min_isr.includes(p)).length, colour: HEALTH_COLOUR.degraded },
    { label: 'under min ISR', n: k.under_min_isr.length, colour: '#ef6c00' },
    { label: 'offline', n: k.offline.length, colour: HEALTH_COLOUR.down },
  ];
  let x = 0;
  const bars = parts
    .filter((p) => p.n > 0)
    .map((p) => {
      const w = (p.n / k.partitions!) * 600;
      const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="24" fill="${p.colour}"><title>${escape(`${p.label}: ${p.n}`)}</title></rect>`;
      x += w;
      return rect;
    })
    .join('');
  const legend = parts.filter((p) => p.n > 0).map((p) => `<span><i style="background:${p.colour}"></i>${escape(p.label)}: ${p.n}</span>`).join(' ');
  return `<h2>Partitions</h2><svg width="600" height="24" role="img" aria-label="partition health">${bars}</svg><p class="legend">${legend}</p>`;
}

export function statusHtml(r: StatusReport): string {
  const z = r.cluster.zookeeper;
  const k = r.cluster.kafka;
  const cluster: [string, unknown][] = [];
  if (z) cluster.push(['ZooKeeper', `${z.serving.length}/${z.members.length} serving, ${z.quorum ? 'quorum' : 'NO QUORUM'}${z.leader ? `, leader ${z.leader}` : ''}`]);
  if (k) {
    cluster.push(
      ['Brokers registered', `${k.registered.join(', ') || 'none'} of ${k.expected.join(', ')}`],
      ['Active controller', k.active_controller],
      ['Topics', k.topics],
      ['Partitions', k.partitions],
      ['Under-replicated', k.under_replicated.join(', ') || (k.partitions !== undefined ? 'none' : undefined)],
      ['Offline', k.offline.join(', ') || (k.partitions !== undefined ? 'none' : undefined)],
      ['Under min ISR', k.under_min_isr.join(', ') || (k.partitions !== undefined ? 'none' : undefined)],
      ['Partitions read on', k.read_from],
      ['Error', k.error],
    );
  }
  const problems = r.problems.length
    ? `<ul class="problems">${r.problems.map((p) => `<li class="${p.severity}"><b>${p.severity}</b> ${p.host ? `${escape(p.host)}: ` : ''}${escape(p.message)}</li>`).join('')}</ul>`
    : '<p>No problems.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>runbook status: ${escape(r.health)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#212121}
header{background:${HEALTH_COLOUR[r.health]};color:#fff;padding:16px 24px}
header h1{margin:0;font-size:28px;text-transform:uppercase}
main{padding:8px 24px}
table{border-collapse:collapse;margin-bottom:8px}
th,td{text-align:left;padding:3px 12px 3px 0;vertical-align:top}
th{font-weight:600;color:#555}
section{display:inline-block;vertical-align:top;margin-right:32px}
.problems li.down{color:${HEALTH_COLOUR.down}} .problems li.degraded{color:#8d6e00} .problems li.warning{color:#666}
.bad{color:${HEALTH_COLOUR.down}}
.legend span{margin-right:16px} .legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head>
<body><header><h1>${escape(r.health)}</h1><div>${escape(r.hosts.length)} host(s)${r.inventory ? `, ${escape(r.inventory)}` : ''}, ${escape(r.time)}</div></header>
<main><h2>Problems</h2>${problems}${partitionChart(r)}<h2>Cluster</h2><table>${rows(cluster)}</table>
<h2>Hosts</h2>${r.hosts.map(hostTable).join('\n')}</main></body></html>
`;
}
