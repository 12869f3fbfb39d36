// kill -9 of the controller at seeded random moments of a 30-step play: every time the journal
// still parses, `runbook resume` finishes the run, and the files are exactly those of a run that
// was never interrupted.
//
//   JOURNAL_KILL_TRIALS (default 20) and JOURNAL_KILL_SEED (default 1) choose the moments.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { waitFor } from '../helpers/wait.js';
import { ensureBuilt, journalOf, makeProject, removeDir, runbook, runIds, startRunbook, treeListing, type Ran } from './cli-helpers.js';

const TRIALS = Number(process.env.JOURNAL_KILL_TRIALS ?? 20);
const SEED = Number(process.env.JOURNAL_KILL_SEED ?? 1);
const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** 30 steps of every kind of file change, a checkpoint halfway. */
function thirtySteps(): string {
  const steps: string[] = [];
  for (let i = 0; i < 30; i++) {
    if (i === 15) steps.push('  - checkpoint: halfway');
    const base = i - (i % 5);
    switch (i % 5) {
      case 0:
        steps.push(`  - name: file ${i}\n    copy: { dest: "{{out}}/f${i}.txt", content: "file ${i}\\n", mode: '0640' }`);
        break;
      case 1:
        steps.push(`  - name: dir ${i}\n    file: { path: "{{out}}/d${i}", state: directory, mode: '0750' }`);
        break;
      case 2:
        steps.push(`  - name: inner ${i}\n    copy: { dest: "{{out}}/d${i - 1}/inner.txt", content: "inner ${i}\\n" }`);
        break;
      case 3:
        steps.push(`  - name: link ${i}\n    symlink: { src: f${base}.txt, dest: "{{out}}/l${i}" }`);
        break;
      case 4:
        steps.push(`  - name: line ${i}\n    lineinfile: { path: "{{out}}/f${base}.txt", line: "added by ${i}" }`);
        break;
    }
  }
  return `name: thirty\nvars:\n  out: { type: string, required: true }\nsteps:\n${steps.join('\n')}\n`;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records in the project's (only) journal so far. */
function countLines(project: string): number {
  const runs = join(project, '.runbook', 'runs');
  if (!existsSync(runs)) return 0;
  const [id] = readdirSync(runs);
  const path = id && join(runs, id, 'journal.jsonl');
  return path && existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

const projects: string[] = [];
test.after(() => projects.forEach(removeDir));

test(`kill -9 at ${TRIALS} seeded moments of a 30-step play; resume always converges to the uninterrupted result`, async () => {
  await ensureBuilt();
  const rb = thirtySteps();

  const reference = makeProject({ thirty: rb });
  projects.push(reference);
  mkdirSync(join(reference, 'out'));
  const full = await runbook(['play', 'thirty', '-e', `out=${join(reference, 'out')}`], reference);
  assert.is(full.code, 0, show(full));
  const expected = treeListing(join(reference, 'out'));
  const [refId] = await runIds(reference);
  const totalLines = (await journalOf(reference, refId)).records.length;

  const random = mulberry32(SEED);
  const outcomes: string[] = [];
  const leftovers: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const project = makeProject({ thirty: rb });
    projects.push(project);
    const out = join(project, 'out');
    mkdirSync(out);
    // Kill once the journal holds `atLine` records, plus a few ms, so the kill lands anywhere:
    // between records, in the middle of a check or an apply, or mid-write.
    const atLine = 1 + Math.floor(random() * (totalLines - 1));
    const extraMs = Math.floor(random() * 40);
    const child = startRunbook(['play', 'thirty', '-e', `out=${out}`], project);
    const exited = once(child, 'exit');
    let finished = false;
    exited.then(() => (finished = true));
    while (!finished && countLines(project) < atLine) await sleep(5);
    await sleep(extraMs);
    child.kill('SIGKILL');
    await exited;

    const [id] = await runIds(project);
    assert.ok(id, `trial ${trial}: a run directory exists`);
    const { records, damaged } = await journalOf(project, id);
    assert.ok(records.length > 0 && records[0].type === 'run-start', `trial ${trial}: the journal parses from its start`);
    assert.ok(damaged.length <= 1, `trial ${trial}: at most a partial last line`);
    if (damaged.length) assert.is(damaged[0].line, records.length + 1, `trial ${trial}: only the last line may be partial`);

    const ended = records.some((r) => r.type === 'run-end');
    if (ended) {
      outcomes.push(`${trial}: finished before the kill`);
    } else {
      const resume = await runbook(['resume'], project);
      assert.is(resume.code, 0, `trial ${trial} (killed after line ${atLine} + ${extraMs}ms):\n${show(resume)}`);
      assert.match(resume.stderr, /stale lock/, `trial ${trial}: the dead controller's lock is taken over`);
      outcomes.push(`${trial}: killed after ${records.length} records${damaged.length ? ' (partial last line)' : ''}, resumed`);
    }
    // The killed controller's last shell script may still be running, orphaned: it ends on its
    // own (its input is gone) and its EXIT trap removes its private temp directory. Rarely (about
    // one kill in 600) one stays behind, a 0700 directory holding a finished temp file that was
    // never renamed: litter, not a wrong file; it is reported, and left out of the comparison.
    const temp = /^[^\n]*\.runbook-(tmp|link)\.[^\n]*$/gm;
    if (!(await waitFor(() => !/\.runbook-(tmp|link)\./.test(treeListing(out)), 30_000))) {
      leftovers.push(`trial ${trial}: ${treeListing(out).match(temp)!.join(', ')}`);
    }
    assert.is(treeListing(out).replace(temp, '').replace(/^\n+/, '').replace(/\n{2,}/g, '\n'), expected, `trial ${trial}: the files equal an uninterrupted run's`);
    removeDir(project);
  }
  console.log(outcomes.join('\n'));
  if (leftovers.length) console.log(`private temp directories left by a killed script:\n${leftovers.join('\n')}`);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test.run();
