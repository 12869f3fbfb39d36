// `runbook runs show <id> --html <file>`: one run as a self-contained page (no script, no external
// file), from its journal alone: a timeline with a row per host and a bar per step, placed and
// sized by when the step ran and coloured by its outcome, so the slow steps stand out; the
// slowest steps listed; the recap; then each failure and each diff. Every value is escaped.

import { unifiedDiff } from './diff.js';
import { escapeHtml as escape } from './html.js';
import type { RunReport, StepOutcome, StepRun } from '../journal/report.js';

/** Ansible's colours for outcomes; the Chromium test looks for them in a screenshot. */
export const OUTCOME_COLOUR: Record<StepRun['status'], string> = {
  ok: '#2e7d32',
  changed: '#f9a825',
  failed: '#c62828',
  unreachable: '#6a1b9a',
  skipped: '#4fc3f7',
  interrupted: '#616161',
};


export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const ROW = 28;
const BAR = 18;
const LABEL = 140;
const WIDTH = 1000;

function timeline(r: RunReport): string {
  const span = Math.max(r.endAt - r.startAt, 1);
  const x = (at: number) => LABEL + ((at - r.startAt) / span) * (WIDTH - LABEL - 10);
  const rows = r.hosts.map((host, i) => {
    const y = 24 + i * ROW;
    const bars = r.steps
      .filter((s) => s.host === host)
      .map((s) => {
        const left = x(s.startAt);
        // Every step stays visible: a 1-pixel bar for one that took no time.
        const width = Math.max(x(s.endAt) - left, 1);
        const title = `${s.stepName}: ${s.status}${s.ignored ? ' (ignored)' : ''}, ${duration(s.endAt - s.startAt)}${s.summary ? `\n${s.summary}` : ''}${s.error ? `\n${s.error.message}` : ''}`;
        return `<rect x="${left.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${OUTCOME_COLOUR[s.status]}"><title>${escape(title)}</title></rect>`;
      })
      .join('');
    return `<text x="0" y="${y + 14}">${escape(host)}</text>${bars}`;
  });
  const ticks = Array.from({ length: 5 }, (_, i) => {
    const at = r.startAt + (span * i) / 4;
    return `<text x="${x(at).toFixed(1)}" y="12" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}" class="tick">${escape(duration(at - r.startAt))}</text>`;
  }).join('');
  const height = 24 + r.hosts.length * ROW;
  return `<svg width="${WIDTH}" height="${height}" role="img" aria-label="timeline: a row per host, a bar per step">${ticks}${rows.join('')}</svg>`;
}

function legend(): string {
  return Object.entries(OUTCOME_COLOUR)
    .map(([status, colour]) => `<span><i style="border-color:${colour}"></i>${escape(status)}</span>`)
    .join(' ');
}

export function runHtml(r: RunReport, outcomes: Map<string, StepOutcome[]>): string {
  const all = [...outcomes.values()].flat();
  const slowest = [...r.steps].sort((a, b) => b.endAt - b.startAt - (a.endAt - a.startAt)).slice(0, 10);
  const recap = r.recap
    ? `<table><tr><th>host</th><th>ok</th><th>changed</th><th>failed</th><th>skipped</th><th>unreachable</th></tr>${Object.entries(r.recap)
        .map(([h, c]) => `<tr><td>${escape(h)}</td><td>${c.ok}</td><td>${c.changed}</td><td>${c.failed}</td><td>${c.skipped}</td><td>${c.unreachable}</td></tr>`)
        .join('')}</table>`
    : '<p>No recap: the run did not finish (see its status).</p>';
  const failures = all.filter((s) => s.error || s.status === 'interrupted');
  const diffs = all.filter((s) => s.diff?.length);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>run ${escape(r.id)}: ${escape(r.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 24px;color:#212121}
h1{font-size:22px;margin:16px 0 4px}
svg text{font:12px system-ui,sans-serif;fill:#212121} svg text.tick{fill:#757575}
table{border-collapse:collapse} th,td{text-align:left;padding:2px 12px 2px 0}
.legend span{margin-right:14px} .legend i{display:inline-block;width:0;height:0;border:5px solid;margin-right:4px}
pre{background:#f5f5f5;padding:8px;overflow-x:auto} .error{color:#c62828}
</style></head>
<body><h1>${escape(r.title)}${r.checkMode ? ' (check mode)' : ''}: ${escape(r.status)}</h1>
<p>run ${escape(r.id)}, started ${escape(r.startTime)}, ${escape(duration(r.endAt - r.startAt))}, ${r.attempts} attempt(s), ${r.hosts.length} host(s)</p>
<h2>Timeline</h2>${timeline(r)}<p class="legend">${legend()}</p>
<h2>Slowest steps</h2><table>${slowest.map((s) => `<tr><td>${escape(duration(s.endAt - s.startAt))}</td><td>${escape(s.host)}</td><td>${escape(s.stepName)}</td><td>${escape(s.status)}</td></tr>`).join('')}</table>
<h2>Recap</h2>${recap}
<h2>Failures</h2>${failures.length ? failures.map((s) => `<p class="error"><b>${escape(s.host)}</b> ${escape(s.stepName)}: ${escape(s.error?.message ?? 'the run stopped during this step')}${s.error?.hint ? `<br>hint: ${escape(s.error.hint)}` : ''}${s.ignored ? ' (ignored)' : ''}</p>`).join('') : '<p>None.</p>'}
<h2>Changes</h2>${diffs.length ? diffs.map((s) => `<h3>${escape(s.host)}: ${escape(s.stepName)}</h3><pre>${escape((s.diff ?? []).map(unifiedDiff).join('\n'))}</pre>`).join('') : '<p>No diffs recorded (run with --diff to keep them).</p>'}
</body></html>
`;
}
