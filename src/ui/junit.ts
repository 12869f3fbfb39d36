// `--junit <file>`: a run as the JUnit XML that CI systems read (Jenkins, GitLab, GitHub actions'
// reporters; the Ant format of test/fixtures/junit.xsd): a testsuite per host, a testcase per
// step, named as `runbook show` names it. A failed step is a <failure> with its error and hint,
// a skipped one <skipped> with the reason, a step that changed something says what in
// <system-out> (with its diff). A failure that `ignore_errors` let pass is not a failure.

import { unifiedDiff } from './diff.js';
import { printable } from './lines.js';
import type { RunReport, StepOutcome } from '../journal/report.js';

/** XML 1.0 allows neither most control characters nor lone surrogates: \xNN as on a terminal, and U+FFFD. */
const clean = (text: string) => printable(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const attr = (v: string | number) => clean(String(v)).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\n\r\t]/g, (c) => `&#${c.charCodeAt(0)};`);
const text = (v: string) => clean(v).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(runbook: string, s: StepOutcome): string {
  const open = `    <testcase classname="${attr(`${runbook}.${s.host}`)}" name="${attr(s.stepName)}" time="${seconds(s.durationMs)}"`;
  const failed = (s.status === 'failed' || s.status === 'unreachable') && !s.ignored;
  if (failed || s.status === 'interrupted') {
    const message = s.error?.message ?? (s.status === 'interrupted' ? 'the run stopped during this step' : s.status);
    const body = [message, s.error?.hint ? `hint: ${s.error.hint}` : ''].filter(Boolean).join('\n');
    const tag = s.status === 'interrupted' ? 'error' : 'failure';
    return `${open}>\n      <${tag} message="${attr(message)}" type="${attr(s.status === 'interrupted' ? 'interrupted' : (s.error?.kind ?? s.status))}">${text(body)}</${tag}>\n    </testcase>`;
  }
  if (s.status === 'skipped') return `${open}>\n      <skipped message="${attr(s.reason ?? 'skipped')}"/>\n    </testcase>`;
  const out = [s.ignored ? `failed (ignored): ${s.error?.message ?? ''}` : `${s.status}${s.summary ? `: ${s.summary}` : ''}`, ...(s.diff ?? []).map(unifiedDiff)].join('\n');
  return `${open}>\n      <system-out>${text(out)}</system-out>\n    </testcase>`;
}

export function junitXml(report: RunReport, outcomes: Map<string, StepOutcome[]>): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const host of report.hosts) {
    const steps = outcomes.get(host) ?? [];
    const f = steps.filter((s) => (s.status === 'failed' || s.status === 'unreachable') && !s.ignored).length;
    const e = steps.filter((s) => s.status === 'interrupted').length;
    const skipped = steps.filter((s) => s.status === 'skipped').length;
    const time = steps.reduce((sum, s) => sum + s.durationMs, 0);
    tests += steps.length;
    failures += f;
    errors += e;
    suites.push(
      `  <testsuite name="${attr(host)}" hostname="${attr(host)}" tests="${steps.length}" failures="${f}" errors="${e}" skipped="${skipped}" time="${seconds(time)}" timestamp="${attr(report.startTime.replace(/Z$/, ''))}">\n` +
        steps.map((s) => testcase(report.title, s)).join('\n') +
        (steps.length ? '\n' : '') +
        '  </testsuite>',
    );
  }
  const name = `${report.title} (run ${report.id}${report.checkMode ? ', check mode' : ''})`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${attr(name)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(report.endAt - report.startAt)}">\n` +
    suites.join('\n') +
    (suites.length ? '\n' : '') +
    '</testsuites>\n'
  );
}
