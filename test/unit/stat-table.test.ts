// A batch's stat table (sdk/stat-table.ts): probes read ahead in one batch take their paths' stat
// fields from one stat of them all, and print byte for byte what a probe of their own prints, for
// every kind of path; a path whose type changed since the table was made is stat'ed again. Run
// with the controller's /bin/sh (dash on Debian, as on the hosts).

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROBE_FUNCTION, probeScript } from '../../src/sdk/probe.js';
import { collectingProbedPaths, statTable } from '../../src/sdk/stat-table.js';
import { sh } from '../../src/shell/quote.js';

let dir: string;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stat-table-'));
  writeFileSync(join(dir, 'file'), 'some content\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'big'), 'x'.repeat(64));
  mkdirSync(join(dir, 'dir'));
  chmodSync(join(dir, 'dir'), 0o2750);
  symlinkSync('file', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  writeFileSync(join(dir, 'with space'), 'quoted path\n');
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs sh with `script`; a `stat` that is called says so on stderr (and still works; the table's own stat is silent). */
function run(script: string): { stdout: string; stats: number } {
  const counting = `stat() { echo stat-called >&2; command stat "$@"; }\n`;
  const out = execFileSync('/bin/sh', ['-c', `${counting}{\n${script}\n} 2>"$0"`, join(dir, '.stderr')], { encoding: 'utf8' });
  const stderr = execFileSync('cat', [join(dir, '.stderr')], { encoding: 'utf8' });
  return { stdout: out, stats: stderr.split('\n').filter((l) => l === 'stat-called').length };
}

const names = ['file', 'empty', 'big', 'dir', 'link', 'dangling', 'fifo', 'absent', 'with space'];

test('probes taking their fields from the table print what probes of their own print, for every kind of path', () => {
  const paths = new Set<string>();
  // A read limit of 16 bytes: `big` is hashed, not read, as a file over the limit is.
  const probes = collectingProbedPaths(paths, () => names.map((n) => probeScript(n, join(dir, n)).text.replace(/1048576$/, '16')));
  assert.equal([...paths].sort(), names.filter((n) => n !== 'with space').map((n) => join(dir, n)).sort(), 'every path that needs no quoting is collected');
  const own = run(`${PROBE_FUNCTION.text}\n${probes.join('\n')}`);
  // The prelude runs in a subshell holding the batch; each probe in a subshell of its own, as on a host.
  const tabled = run(`${PROBE_FUNCTION.text}\n( ${statTable([...paths]).text}\n${probes.map((p) => `( ${p}\n)`).join('\n')}\n)`);
  assert.is(tabled.stdout, own.stdout);
  assert.match(own.stdout, /type=file\nmode=644\nuid=\d+\nuser=\w+\ngid=\d+\ngroup=\w+\nino=\d+\nlinks=1\nsize=13\ncontent=/);
  assert.match(own.stdout, /type=directory\nmode=2750\n/);
  assert.match(own.stdout, /sha256=[0-9a-f]{64}/);
  // Own probes: one stat per path that exists; with the table only the paths it cannot answer:
  // the fifo (neither file, directory nor link) and the path that needs quoting.
  assert.is(own.stats, 8);
  assert.is(tabled.stats, 2);
});

test('a path whose type changed after the table was made is stat\'ed again', () => {
  const path = join(dir, 'changing');
  mkdirSync(path);
  const probe = probeScript('p', path).text;
  const changeThenProbe = `${PROBE_FUNCTION.text}\n( ${statTable([path]).text}\nrmdir ${path}; echo now a file > ${path}\n( ${probe}\n)\n)`;
  const tabled = run(changeThenProbe);
  assert.is(tabled.stats, 1, 'the probe stats it itself');
  assert.is(tabled.stdout, run(`${PROBE_FUNCTION.text}\n${probe}`).stdout);
  assert.match(tabled.stdout, /type=file\n/);
  rmSync(path);
});

test('outside the batch nothing of the table is left', () => {
  const path = join(dir, 'file');
  const out = run(`( ${statTable([path]).text}\n)\n${sh`printf '[%s]' "$__runbook_stat"`.text}`);
  assert.is(out.stdout, '[]');
});

test.run();
