// Ctrl-C and failures from the command line: the first Ctrl-C lets the step in flight finish and
// exits 99 with a resumable run, a second one exits at once and the run is still resumable;
// SIGTERM, SIGHUP and a stdout nobody reads stop a run as the first Ctrl-C does; a
// runbook with `on_failure: rollback` undoes the failed host's changes back to its last
// checkpoint; `resume --from` runs an earlier step again.

import { waitFor } from '../helpers/wait.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { ensureBuilt, journalOf, makeProject, removeDir, runbook, runIds, startRunbook, type Ran } from './cli-helpers.js';

const projects: string[] = [];
const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test.before(async () => {
  await ensureBuilt();
});
test.after(() => projects.forEach(removeDir));

function project(runbooks: Record<string, string>): { dir: string; out: string } {
  const dir = makeProject(runbooks);
  projects.push(dir);
  const out = join(dir, 'out');
  mkdirSync(out);
  return { dir, out };
}

/** Ten file steps; the fourth takes a second, so a Ctrl-C surely lands while it is in flight. */
function tenSteps(): string {
  const steps = Array.from({ length: 10 }, (_, i) =>
    i === 3
      ? `  - name: slow\n    shell: { cmd: "sleep 1; echo 3 > {{out}}/f3", creates: "{{out}}/f3" }`
      : `  - name: file ${i}\n    copy: { dest: "{{out}}/f${i}", content: "${i}\\n" }`,
  );
  return `name: ten\nvars:\n  out: { type: string, required: true }\nsteps:\n${steps.join('\n')}\n`;
}

function journalText(dir: string): string {
  const runs = join(dir, '.runbook', 'runs');
  if (!existsSync(runs)) return '';
  const [id] = readdirSync(runs);
  const path = id ? join(runs, id, 'journal.jsonl') : '';
  return path && existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Start a play and wait until its slow step started. */
async function startSlow(dir: string, out: string, options: { stdout?: boolean } = {}) {
  const child = startRunbook(['play', 'ten', '-e', `out=${out}`], dir, { stderr: true, ...options });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const slowStarted = await waitFor(() => /"host-start","host":"localhost","stepId":"[^"]*","stepName":"slow"/.test(journalText(dir)), 120_000, 5);
  assert.ok(slowStarted, `the slow step never started: ${stderr}`);
  return { child, exited, stderr: () => stderr };
}

/** Start a play, wait until the slow step started, then send `signal` `times` times. */
async function interrupt(dir: string, out: string, times: 1 | 2, signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; stderr: string }> {
  const { child, exited, stderr } = await startSlow(dir, out);
  child.kill(signal);
  // Signals do not queue: the second goes only once the first was handled, however busy the machine.
  if (times > 1) {
    assert.ok(await waitFor(() => stderr().includes('letting the steps in flight finish'), 120_000, 5), `the first ${signal} was not handled: ${stderr()}`);
    child.kill(signal);
  }
  const [code] = await exited;
  return { code, stderr: stderr() };
}

/** The run ended in order as interrupted, each step it started finished, and resume completes it. */
async function assertStoppedInOrder(dir: string, out: string): Promise<number> {
  const [id] = await runIds(dir);
  const { records } = await journalOf(dir, id);
  const end = records.at(-1);
  assert.ok(end?.type === 'run-end' && end.status === 'interrupted', 'the run ended as interrupted');
  const started = records.filter((r) => r.type === 'host-start').length;
  assert.is(records.filter((r) => r.type === 'host-result').length, started, 'every step started was finished and journaled');
  const resume = await runbook(['resume', id], dir);
  assert.is(resume.code, 0, show(resume));
  assert.is(readdirSync(out).length, 10);
  return started;
}

test('first Ctrl-C: the step in flight finishes, exit 99, the run resumes to the end', async () => {
  const { dir, out } = project({ ten: tenSteps() });
  const { code } = await interrupt(dir, out, 1);
  assert.is(code, 99);
  const [id] = await runIds(dir);
  assert.match((await runbook(['runs'], dir)).stdout, new RegExp(`${id}.*interrupted`));
  assert.is(await assertStoppedInOrder(dir, out), 4, 'the slow step finished; nothing new started after the interrupt');
});

for (const [signal, said] of [['SIGTERM', 'terminated (SIGTERM)'], ['SIGHUP', 'hung up (SIGHUP)']] as const) {
  test(`${signal} stops a run as the first Ctrl-C does`, async () => {
    const { dir, out } = project({ ten: tenSteps() });
    const { code, stderr } = await interrupt(dir, out, 1, signal);
    assert.is(code, 99, stderr);
    assert.match(stderr, said);
    assert.is(await assertStoppedInOrder(dir, out), 4);
  });
}

test('output nobody reads any more (| head) stops the run in order instead of crashing it mid-step', async () => {
  const { dir, out } = project({ ten: tenSteps() });
  const { child, exited, stderr } = await startSlow(dir, out, { stdout: true });
  // The reader goes away: the play's next line to stdout fails with EPIPE.
  child.stdout!.destroy();
  const [code] = await exited;
  assert.is(code, 99, stderr());
  assert.match(stderr(), /output closed: letting the steps in flight finish/);
  assert.not.match(stderr(), /internal error|EPIPE/);
  await assertStoppedInOrder(dir, out);
});

test('second Ctrl-C: exits at once; the run is still resumable', async () => {
  const { dir, out } = project({ ten: tenSteps() });
  const { code } = await interrupt(dir, out, 2);
  assert.is(code, 99);
  const [id] = await runIds(dir);
  const { records } = await journalOf(dir, id);
  assert.ok(!records.some((r) => r.type === 'run-end'), 'no orderly end');
  const resume = await runbook(['resume'], dir);
  assert.is(resume.code, 0, show(resume));
  assert.is(readdirSync(out).length, 10);
});

test('on_failure: rollback undoes the failed host back to its last checkpoint', async () => {
  const { dir, out } = project({
    guarded: `name: guarded
on_failure: rollback
vars:
  out: { type: string, required: true }
steps:
  - name: Kept
    copy: { dest: "{{out}}/kept", content: "kept\\n" }
  - checkpoint: safe
  - name: Undone
    copy: { dest: "{{out}}/undone", content: "undone\\n" }
  - name: Fails
    copy: { dest: "{{out}}/never", src: missing-file }
`,
  });
  const play = await runbook(['play', 'guarded', '-e', `out=${out}`], dir);
  assert.is(play.code, 2, show(play));
  assert.match(play.stderr, /rolling back to their last checkpoint/);
  assert.equal(readdirSync(out), ['kept'], 'what came after the checkpoint is undone, what came before stays');
  const ids = await runIds(dir);
  assert.is(ids.length, 2, 'the play and its rollback');
});

test('resume --from an earlier step runs it and everything after again', async () => {
  const { dir, out } = project({
    flaky: `name: flaky
vars:
  out: { type: string, required: true }
steps:
  - name: First
    copy: { dest: "{{out}}/one", content: "1\\n" }
  - name: Second
    copy: { dest: "{{out}}/two", content: "2\\n" }
  - name: Needs the flag
    copy: { dest: "{{out}}/three", src: flag.txt }
`,
  });
  assert.is((await runbook(['play', 'flaky', '-e', `out=${out}`], dir)).code, 2);
  writeFileSync(join(out, 'two'), 'edited by hand\n');
  writeFileSync(join(dir, 'runbooks', 'flag.txt'), '3\n');
  const resume = await runbook(['resume', '--from', 'Second'], dir);
  assert.is(resume.code, 0, show(resume));
  assert.is(readFileSync(join(out, 'two'), 'utf8'), '2\n', 'the step at --from ran again');
  const [id] = await runIds(dir);
  const { records } = await journalOf(dir, id);
  const after = records.slice(records.findIndex((r) => r.type === 'resume'));
  assert.equal(
    after.flatMap((r) => (r.type === 'host-start' ? [r.stepName] : [])),
    ['Second', 'Needs the flag'],
  );
});

test.run();
