// A batch's stat table (sdk/stat-table.ts): probes read ahead in one batch take their paths' stat
// fields from one stat of them all, and print byte for byte what a probe of their own prints, for
// every kind of path; a path whose type changed since the table was made is stat'ed again. Run
// with the controller's /bin/sh (dash on Debian, as on the hosts).

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROBE_FUNCTION, probeScript, READ_LIMIT } from '../../src/sdk/probe.js';
import { collectingProbedPaths, statTable, type ProbedPaths } from '../../src/sdk/stat-table.js';
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

/**
 * Runs sh with `script`; a `stat` or `base64` that is called says so on stderr (and still works;
 * the table's own stat is silent).
 */
function run(script: string): { stdout: string; stats: number; reads: number } {
  const counting = `stat() { echo stat-called >&2; command stat "$@"; }\nbase64() { echo base64-called >&2; command base64 "$@"; }\n`;
  const out = execFileSync('/bin/sh', ['-c', `${counting}{\n${script}\n} 2>"$0"`, join(dir, '.stderr')], { encoding: 'utf8' });
  const stderr = execFileSync('cat', [join(dir, '.stderr')], { encoding: 'utf8' }).split('\n');
  return { stdout: out, stats: stderr.filter((l) => l === 'stat-called').length, reads: stderr.filter((l) => l === 'base64-called').length };
}

const probed = (): ProbedPaths => ({ stat: new Set(), sum: new Set() });

const names = ['file', 'empty', 'big', 'dir', 'link', 'dangling', 'fifo', 'absent', 'with space'];

test('probes taking their fields from the table print what probes of their own print, for every kind of path', () => {
  const paths = probed();
  // A read limit of 16 bytes: `big` is hashed, not read, as a file over the limit is.
  const probes = collectingProbedPaths(paths, () => names.map((n) => probeScript(n, join(dir, n)).text.replace(/1048576$/, '16')));
  assert.equal([...paths.stat].sort(), names.filter((n) => n !== 'with space').map((n) => join(dir, n)).sort(), 'every path that needs no quoting is collected');
  const own = run(`${PROBE_FUNCTION.text}\n${probes.join('\n')}`);
  // The prelude runs in a subshell holding the batch; each probe in a subshell of its own, as on a host.
  const tabled = run(`${PROBE_FUNCTION.text}\n( ${statTable(paths, 16).text}\n${probes.map((p) => `( ${p}\n)`).join('\n')}\n)`);
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
  const changeThenProbe = `${PROBE_FUNCTION.text}\n( ${statTable({ stat: new Set([path]), sum: new Set() }, READ_LIMIT).text}\nrmdir ${path}; echo now a file > ${path}\n( ${probe}\n)\n)`;
  const tabled = run(changeThenProbe);
  assert.is(tabled.stats, 1, 'the probe stats it itself');
  assert.is(tabled.stdout, run(`${PROBE_FUNCTION.text}\n${probe}`).stdout);
  assert.match(tabled.stdout, /type=file\n/);
  rmSync(path);
});

test('a summed probe of a small regular file in the sum table prints its sum, not its content; any other path as its own probe does', () => {
  const paths = probed();
  // A read limit of 16 bytes: `big` is over it, so the sum table leaves it to its probe (as
  // sha256sum over a big file would cost more than the read it saves).
  const probes = collectingProbedPaths(paths, () => names.map((n) => probeScript(n, join(dir, n), { summed: true }).text.replace(/1048576 1$/, '16 1')));
  assert.equal([...paths.sum].sort(), [...paths.stat].sort(), 'summed probes note their paths for both tables');
  const own = run(`${PROBE_FUNCTION.text}\n${probes.join('\n')}`);
  const tabled = run(`${PROBE_FUNCTION.text}\n( ${statTable(paths, 16).text}\n${probes.map((p) => `( ${p}\n)`).join('\n')}\n)`);
  const sum = (name: string) => createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
  const sections = (out: string) => out.split('\n\0@@').slice(1);
  const [mine, theirs] = [sections(tabled.stdout), sections(own.stdout)];
  assert.is(mine.length, names.length);
  names.forEach((name, i) => {
    if (name === 'file' || name === 'empty') {
      assert.is(mine[i], theirs[i].replace(/content=.*\n/, `sha256=${sum(name)}\n`), name);
    } else {
      assert.is(mine[i], theirs[i], `${name}: as its own probe prints it (a link, a FIFO, a file over the limit, a path the tables cannot hold)`);
    }
  });
  assert.is(own.reads, 3, 'own probes read the three small files');
  assert.is(tabled.reads, 1, 'with the sum table, only the one whose path it cannot hold');
});

test('an unsummed probe reads the content even when the batch has the sum table', () => {
  const path = join(dir, 'file');
  const paths = probed();
  const [summed, plain] = collectingProbedPaths(paths, () => [probeScript('a', path, { summed: true }).text, probeScript('b', path).text]);
  const out = run(`${PROBE_FUNCTION.text}\n( ${statTable(paths, READ_LIMIT).text}\n( ${summed}\n)\n( ${plain}\n)\n)`);
  assert.match(out.stdout, /@@a\n[^@]*sha256=[0-9a-f]{64}\n/);
  assert.match(out.stdout, /@@b\n[^@]*content=c29tZSBjb250ZW50Cg==\n/);
  assert.is(out.reads, 1);
});

test('outside the batch nothing of the table is left', () => {
  const path = join(dir, 'file');
  const out = run(`( ${statTable({ stat: new Set([path]), sum: new Set() }, READ_LIMIT).text}\n)\n${sh`printf '[%s]' "$__runbook_stat"`.text}`);
  assert.is(out.stdout, '[]');
});

test.run();
