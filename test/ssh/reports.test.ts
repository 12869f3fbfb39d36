// The run reports through the built CLI over a real sshd, three inventory hosts on it: a play that
// fails on every host at its last step writes --junit (valid against test/fixtures/junit.xsd with
// xmllint, and read by Debian's junitparser, a real consumer); the resumed run's --junit has no
// failure left; `runs show --html` draws the timeline, checked in a headless Chromium screenshot
// (a row of bars per host). Hostile step names and output stay well-formed XML and escaped HTML.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostsInventoryYaml, startSshd, type Sshd } from '../helpers/sshd.js';
import { ensureBuilt, runbook, type Ran } from '../cli/helpers.js';
import { exec } from '../helpers/exec.js';
import { colourBands, screenshot } from '../helpers/chromium.js';
import { OUTCOME_COLOUR } from '../../src/ui/run-html.js';

let sshd: Sshd;
let dir: string;
let out: string;
let inventory: string;
let runId: string;

const HOSTS = ['web1', 'web2', 'web3'];
const XSD = new URL('../fixtures/junit.xsd', import.meta.url).pathname;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'runbook-reports-'));
  out = join(dir, 'out');
  mkdirSync(out);
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(
    join(dir, 'runbooks', 'report.yaml'),
    `name: report
steps:
  - name: Write the <marker> & "quote"
    copy: { dest: "${out}/{{inventory_hostname}}.txt", content: "one\\n" }
  - name: Not here
    when: "false"
    copy: { dest: "${out}/never", content: "x" }
  - name: Try something that fails, ignored
    command: { cmd: "false" }
    ignore_errors: true
  - name: "Print a bell \\a<"
    shell: { cmd: "echo bell" }
  - name: Wait for the go-ahead
    command: { cmd: "test -e ${out}/go" }
`,
  );
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, hostsInventoryYaml(sshd, HOSTS));
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** xmllint's verdict on a file against the JUnit schema. */
async function xsdValid(file: string): Promise<string> {
  const r = await exec('xmllint', ['--noout', '--schema', XSD, file]);
  return r.code === 0 ? 'valid' : r.stderr;
}

/** What Debian's junitparser reads: per suite, each case's name and result kind. */
async function junitparser(file: string): Promise<Record<string, Array<[string, string]>>> {
  const script = `import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
print(json.dumps({s.name: [[c.name, ','.join(type(r).__name__ for r in c.result) or 'passed'] for c in s] for s in xml}))`;
  const r = await exec('/usr/bin/python3', ['-c', script, file]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, Array<[string, string]>>;
}

test('a failed play writes --junit: valid against the schema, a suite per host, a case per step, the failure with its error', async () => {
  const junit = join(dir, 'first.xml');
  const r = await runbook(['play', 'report', '-i', inventory, '--junit', junit], dir);
  assert.is(r.code, 2, show(r));
  runId = /runbook resume (\S+)/.exec(r.stdout + r.stderr)?.[1] ?? '';
  assert.ok(runId, show(r));
  assert.is(await xsdValid(junit), 'valid');
  const cases = ['Write the <marker> & "quote"', 'Not here', 'Try something that fails, ignored', 'Print a bell \\x07<', 'Wait for the go-ahead'];
  assert.equal(await junitparser(junit), Object.fromEntries(HOSTS.map((h) => [h, cases.map((c, i) => [c, ['passed', 'Skipped', 'passed', 'passed', 'Failure'][i]])])));
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuites name="report \(run \S+\)" tests="15" failures="3" errors="0" time="[\d.]+">/);
  assert.match(xml, /<failure message="command failed with exit code 1" type="task">/);
  assert.ok(xml.includes('name="Print a bell \\x07&#60;"'), 'the bell is shown as \\x07, the < escaped');
  assert.match(xml, /<skipped message="[^"]+"\/>/);
});

test('the resumed run: --junit of the whole run, no failure left', async () => {
  writeFileSync(join(out, 'go'), '');
  const junit = join(dir, 'resumed.xml');
  const r = await runbook(['resume', runId, '--junit', junit], dir);
  assert.is(r.code, 0, show(r));
  assert.is(await xsdValid(junit), 'valid');
  const suites = await junitparser(junit);
  assert.equal(Object.keys(suites), HOSTS);
  for (const h of HOSTS) assert.equal(suites[h].map(([, kind]) => kind), ['passed', 'Skipped', 'passed', 'passed', 'passed']);
});

test('runs show --html: the timeline has a row of bars per host (Chromium screenshot), the slowest steps, the diffs; all escaped', async () => {
  const html = join(dir, 'run.html');
  const junit = join(dir, 'shown.xml');
  const r = await runbook(['runs', 'show', runId, '--html', html, '--junit', junit], dir);
  assert.is(r.code, 0, show(r));
  assert.is(await xsdValid(junit), 'valid');
  const page = readFileSync(html, 'utf8');
  assert.ok(page.startsWith('<!doctype html>'));
  assert.ok(page.includes('Write the &#60;marker&#62; &#38; &#34;quote&#34;'));
  assert.not.ok(page.includes('<marker>'));
  assert.match(page, /<h2>Slowest steps<\/h2><table><tr><td>[\d.]+ m?s<\/td><td>web\d<\/td>/);
  assert.match(page, /2 attempt\(s\), 3 host\(s\)/);
  const png = html.replace(/\.html$/, '.png');
  await screenshot(html, png, 1100, 700);
  if (process.env.KEEP_PNG) (await import('node:fs')).copyFileSync(png, process.env.KEEP_PNG);
  // Bars are 18 pixels tall, the legend's swatches 10: one band of bars per host.
  const bands = colourBands(png, [OUTCOME_COLOUR.ok, OUTCOME_COLOUR.changed, OUTCOME_COLOUR.failed, OUTCOME_COLOUR.skipped], 15);
  assert.is(bands.length, HOSTS.length, JSON.stringify(bands));
});

test.run();
