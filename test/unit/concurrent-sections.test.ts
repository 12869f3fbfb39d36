// concurrentSections, run by a real /bin/sh: the parts run at once, each one's output comes back
// whole as its own section in the order given, and the private temp directory is gone after.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurrentSections, SECTION_FUNCTION, splitSections } from '../../src/sdk/probe.js';
import { sh } from '../../src/shell/quote.js';
import { LocalTransport } from '../../src/transport/local.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-sections-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function run(script: string): Promise<{ code: number; stdout: string }> {
  const r = await new LocalTransport().exec(`TMPDIR=${dir}; export TMPDIR\n${script}`);
  return { code: r.code, stdout: r.stdout.toString() };
}

test('the parts run at once: the first waits on a pipe only the second writes (one after the other would fail after a minute)', async () => {
  const fifo = join(dir, 'fifo');
  const script = sh`mkfifo ${fifo}
${SECTION_FUNCTION}${concurrentSections([
    ['first', sh`timeout 60 cat ${fifo}`],
    ['second', sh`timeout 60 sh -c 'echo from-second > "$0"' ${fifo}; echo wrote`],
  ])}`;
  const r = await run(script.text);
  assert.is(r.code, 0);
  const sections = splitSections(r.stdout);
  assert.equal([...sections.keys()], ['first', 'second']);
  assert.is(sections.get('first'), 'from-second\n');
  assert.is(sections.get('second'), 'wrote\n');
});

test('big outputs come back whole, in the order given; a part may add sections of its own; the temp directory is removed', async () => {
  const script = sh`${SECTION_FUNCTION}${concurrentSections([
    ['a', sh`seq 1 20000`],
    ['b', sh`seq 20001 40000; false; rc=$?; rb_section b-rc; echo "$rc"`],
    ['quoted', sh`printf '%s\\n' ${"it's $(not run)"}`],
  ])}`;
  const r = await run(script.text);
  const sections = splitSections(r.stdout);
  assert.equal([...sections.keys()], ['a', 'b', 'b-rc', 'quoted']);
  assert.is(sections.get('a'), Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''));
  assert.is(sections.get('b'), Array.from({ length: 20000 }, (_, i) => `${i + 20001}\n`).join(''));
  assert.is(sections.get('b-rc'), '1\n');
  assert.is(sections.get('quoted'), "it's $(not run)\n");
  assert.equal(readdirSync(dir).filter((f) => f !== 'fifo'), []);
  assert.ok(existsSync(dir));
});

test('a poll killed with TERM in the middle (a timeout, Ctrl-C) leaves no temp directory behind', async () => {
  const script = sh`${SECTION_FUNCTION}${concurrentSections([['slow', sh`sleep 600`]])}`;
  // Its own process group, as sshd gives each command: the kill reaches the parts too.
  const child = spawn('sh', ['-c', script.text], { env: { ...process.env, TMPDIR: dir }, detached: true, stdio: 'ignore' });
  const exited = once(child, 'exit');
  assert.ok(await waitFor(() => readdirSync(dir).some((f) => f.startsWith('tmp.')), 30_000), 'the temp directory was made');
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('tmp.')), []);
});

test.run();
