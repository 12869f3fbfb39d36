// `play --confirm` through the built CLI in a real pseudo-terminal, over a real sshd (three
// inventory hosts on it): the operator sees each step that would change with its diffs, applies
// one, skips one, quits at the third; `resume --confirm` asks again where the run stopped (Ctrl-C
// there quits too), and a plain `resume` goes on from there without running the skipped step.
// Without a terminal, --confirm is refused before any run starts.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, root, runbook } from '../cli/helpers.js';
import { inPty, type Pty } from '../helpers/pty.js';
import { hostsInventoryYaml, startSshd, type Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let dir: string;
let out: string;

const HOSTS = ['web1', 'web2', 'web3'];
const QUESTION = /Apply this step\? \[y\]es/;
const cli = (args: string[]) => inPty([process.execPath, join(root, 'dist/cli/main.js'), ...args], dir);
const written = (name: string) => HOSTS.filter((h) => existsSync(join(out, `${h}.${name}`)));
const runs = () => (existsSync(join(dir, '.runbook/runs')) ? readdirSync(join(dir, '.runbook/runs')).length : 0);

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'runbook-confirm-'));
  out = join(dir, 'out');
  mkdirSync(out);
  mkdirSync(join(dir, 'runbooks'));
  const write = (name: string, content: string) => `
  - name: Write ${name}
    copy: { dest: "${out}/{{inventory_hostname}}.${name}", content: "${content}\\n" }`;
  writeFileSync(join(dir, 'runbooks', 'files.yaml'), `name: files\nsteps:${write('a', 'alpha')}${write('ready', 'in place')}${write('b', 'beta')}${write('c', 'gamma')}\n`);
  for (const h of HOSTS) writeFileSync(join(out, `${h}.ready`), 'in place\n');
  writeFileSync(join(dir, 'inventory.yaml'), hostsInventoryYaml(sshd, HOSTS));
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Answers the `n`th question (1-based) once it is on the screen. */
async function answer(pty: Pty, n: number, text: string): Promise<void> {
  await pty.waitFor(QUESTION, n);
  pty.type(text);
}

test('without a terminal, --confirm is refused before a run starts', async () => {
  const r = await runbook(['play', 'files', '-i', 'inventory.yaml', '--confirm'], dir);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /--confirm: it asks on a terminal/);
  assert.match(r.stderr, /--check --diff/);
  assert.is(runs(), 0);
  assert.equal(written('a'), []);
});

test('apply one step, skip one, quit at the third; resume --confirm asks there again; resume goes on', async () => {
  const play = cli(['play', 'files', '-i', 'inventory.yaml', '--confirm']);
  try {
    await pty1(play);
    assert.is(await play.exited, 99, play.screen());
  } finally {
    play.kill();
  }
  assert.equal(written('a'), HOSTS);
  assert.equal(written('b'), [], 'skipped');
  assert.equal(written('c'), [], 'quit before it');
  assert.match(play.screen(), /run \S+ interrupted; go on with: runbook resume/);

  // resume --confirm asks about the step it stopped at; Ctrl-C at the question quits as q does.
  const again = cli(['resume', '--confirm']);
  try {
    await again.waitFor(QUESTION);
    assert.match(again.screen(), /STEP \[Write c\] would act on 3 of 3 host\(s\)/);
    assert.not.match(again.screen(), /STEP \[Write b\]/, 'a skipped step is done for resume');
    again.type('\x03');
    assert.is(await again.exited, 99, again.screen());
  } finally {
    again.kill();
  }
  assert.equal(written('c'), []);

  const resumed = await runbook(['resume'], dir);
  assert.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(written('c'), HOSTS);
  assert.equal(written('b'), [], 'the skipped step stays skipped');
  assert.is(readFileSync(join(out, 'web2.c'), 'utf8'), 'gamma\n');
});

/** The first play: what it shows, and the answers (an unknown one gets the help and the question again). */
async function pty1(play: Pty): Promise<void> {
  await play.waitFor(QUESTION);
  const first = play.screen();
  assert.match(first, /STEP \[Write a\] would act on 3 of 3 host\(s\)/);
  for (const h of HOSTS) assert.match(first, new RegExp(`would change: \\[${h}\\] create ${out}/${h}\\.a`));
  assert.match(first, /^\+alpha$/m, 'the diff is shown');
  assert.equal(written('a'), [], 'nothing is written before the answer');
  play.type('maybe\n');
  await play.waitFor(/n - skip it/);
  await answer(play, 2, 'y\n');
  // "Write ready" is in sync everywhere: not asked about.
  await play.waitFor(/STEP \[Write b\]/);
  assert.not.match(play.screen(), /STEP \[Write ready\]/);
  await answer(play, 3, 'n\n');
  await play.waitFor(/STEP \[Write c\]/);
  await answer(play, 4, 'q\n');
}

test('in a terminal (the live tree), a play with a run_once step skipped by its condition ends', async () => {
  writeFileSync(
    join(dir, 'runbooks', 'once.yaml'),
    `name: once\nsteps:\n  - name: Only on one host\n    run_once: true\n    when: "false"\n    copy: { dest: "${out}/once", content: "x" }\n  - name: Then every host\n    copy: { dest: "${out}/{{inventory_hostname}}.after", content: "y" }\n`,
  );
  const play = cli(['play', 'once', '-i', 'inventory.yaml']);
  try {
    await play.waitFor(/PLAY RECAP/);
    assert.is(await play.exited, 0, play.screen());
    assert.equal(written('after'), HOSTS);
  } finally {
    play.kill();
  }
});

test.run();
