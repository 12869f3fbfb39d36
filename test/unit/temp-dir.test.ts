// privateTempDir, run by a real /bin/sh: the directory goes however the script ends, including
// a signal that arrives the moment mktemp has made it (a stand-in mktemp makes it, then signals
// the whole process group, deterministically: no timing).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '../../src/shell/quote.js';
import { privateTempDir } from '../../src/shell/temp-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-temp-dir-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a process group of its own; mktemp records what it made in `made`. */
function run(script: string, signalAfterMktemp: boolean): { code: number | null; signal: NodeJS.Signals | null; made: string; stdout: string } {
  const bin = join(dir, 'bin');
  const made = join(dir, 'made');
  mkdirSync(bin, { recursive: true });
  rmSync(made, { force: true });
  writeFileSync(
    join(bin, 'mktemp'),
    `#!/bin/sh\nd=$(/usr/bin/mktemp "$@") || exit 1\necho "$d" > '${made}'\necho "$d"\n${signalAfterMktemp ? 'kill -TERM 0\n' : ''}`,
  );
  chmodSync(join(bin, 'mktemp'), 0o755);
  const r = spawnSync('setsid', ['--wait', 'sh', '-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: join(dir, 'tmp') }, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, made: readFileSync(made, 'utf8').trim(), stdout: r.stdout };
}

test.before(() => mkdirSync(join(dir, 'tmp')));

test('the directory is private, usable, and gone when the script ends', () => {
  const r = run(`${privateTempDir('d').text}\nstat -c %a "$d"; echo x > "$d/f" && cat "$d/f"`, false);
  assert.is(r.code, 0);
  assert.is(r.stdout, '700\nx\n');
  assert.ok(r.made.startsWith(join(dir, 'tmp')), r.made);
  assert.not.ok(existsSync(r.made));
});

test('a TERM the moment mktemp has made it (a timeout, Ctrl-C) still removes it: the traps come first', () => {
  const r = run(`${privateTempDir('d').text}\necho not reached`, true);
  assert.is(r.code, 143);
  assert.is(r.stdout, '');
  assert.ok(r.made !== '');
  assert.not.ok(existsSync(r.made), `${r.made} was left behind`);
});

test('placed by a template; an exit in the middle removes it, with what was written in it', () => {
  const r = run(`${privateTempDir('d', sh`${join(dir, 'tmp')}/.mine.XXXXXX`).text}\necho x > "$d/f"\nexit 3`, false);
  assert.is(r.code, 3);
  assert.match(r.made, /\/\.mine\.[A-Za-z0-9]{6}$/);
  assert.not.ok(existsSync(r.made));
});

test('refuses a name that is not a shell variable', () => {
  assert.throws(() => privateTempDir('d; rm -rf /'), /not a shell variable name/);
});

test.run();
