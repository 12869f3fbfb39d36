// --confirm in the engine: what each question shows, and what each answer does to the hosts, the
// events and the run's outcome (the terminal side is in test/cli/confirm.test.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIRM_SKIPPED, type ConfirmAnswer, type StepPreview } from '../../src/engine/confirm.js';
import { caught } from '../helpers/caught.js';
import { inventory, play, runbook, statuses, step, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
test.before.each(async () => {
  ({ dir, cleanup } = await tempDir());
});
test.after.each(async () => {
  await cleanup();
});

/** A confirm that gives `answers` in turn and keeps what it was shown. */
function operator(...answers: ConfirmAnswer[]) {
  const asked: StepPreview[] = [];
  return {
    asked,
    confirm: async (preview: StepPreview) => {
      asked.push(preview);
      const answer = answers.shift();
      if (!answer) throw new Error(`asked about "${preview.stepName}" with no answer left`);
      return answer;
    },
  };
}

const file = (name: string) => join(dir, name);

/** Three steps writing files a, b, c on two hosts (each host its own file). */
function threeFiles() {
  return runbook(['a', 'b', 'c'].map((n) => step('content', {}, { name: `Write ${n}`, args: { path: `${dir}/{{inventory_hostname}}.${n}`, content: `${n}\n` } })));
}

test('each step that would change is shown with its diffs before anything is written; y applies, n skips (journaled), q stops', async () => {
  const op = operator('apply', 'skip', 'quit');
  const p = await play({ runbook: threeFiles(), inventory: inventory(2), confirm: op.confirm, diff: true });
  assert.equal(op.asked.map((a) => a.stepName), ['Write a', 'Write b', 'Write c']);
  const first = op.asked[0];
  assert.equal(first.hosts.map((h) => `${h.result.host}:${h.result.status}:${h.nothingToDo}`), ['h1:changed:false', 'h2:changed:false']);
  assert.equal(first.hosts[0].result.diff, [{ path: file('h1.a'), before: null, after: 'a\n' }]);
  // Applied, skipped, never started.
  assert.is(await readFile(file('h1.a'), 'utf8'), 'a\n');
  assert.ok(!existsSync(file('h1.b')) && !existsSync(file('h1.c')));
  assert.equal(statuses(p, 'Write a'), ['h1:changed', 'h2:changed']);
  assert.equal(statuses(p, 'Write b'), ['h1:skipped', 'h2:skipped']);
  assert.ok(p.results.filter((r) => r.stepName === 'Write b').every((r) => r.reason === CONFIRM_SKIPPED));
  assert.equal(statuses(p, 'Write c'), []);
  assert.ok(!p.events.some((e) => e.type === 'step-start' && e.stepName === 'Write c'), 'the step quit at never started');
  assert.is(p.status, 'interrupted');
  assert.is(p.exitCode, 99);
});

test('a step with nothing to do on any host is not asked about; "all" stops the questions', async () => {
  await writeFile(file('h1.a'), 'a\n');
  await writeFile(file('h2.a'), 'a\n');
  const op = operator('all');
  const p = await play({ runbook: threeFiles(), inventory: inventory(2), confirm: op.confirm });
  assert.equal(op.asked.map((a) => a.stepName), ['Write b']);
  assert.is(p.exitCode, 0);
  assert.equal(statuses(p, 'Write a'), ['h1:ok', 'h2:ok']);
  assert.equal(statuses(p, 'Write c'), ['h1:changed', 'h2:changed']);
});

test('the preview never changes a host, even for a step with check_mode: false or a command check mode cannot predict', async () => {
  const rb = runbook([
    step('log', {}, { name: 'Log', checkMode: false, args: { path: file('{{inventory_hostname}}.log'), text: 'x' } }),
    step('unknowable', {}, { name: 'Touch', args: { path: file('{{inventory_hostname}}.touched') } }),
  ]);
  const op = operator('skip', 'quit');
  await play({ runbook: rb, inventory: inventory(2), confirm: op.confirm });
  assert.ok(!existsSync(file('h1.log')) && !existsSync(file('h1.touched')));
  // A command that would run is something to confirm, and is told apart from a skip.
  const touch = op.asked[1].hosts[0];
  assert.is(touch.result.status, 'skipped');
  assert.is(touch.nothingToDo, false);
});

test('a command declared changed_when: false (a guard that only reads) is not asked about', async () => {
  const rb = runbook([
    step('unknowable', {}, { name: 'Guard', changedWhen: 'false', args: { path: file('{{inventory_hostname}}.guard') } }),
    step('content', {}, { name: 'Write', args: { path: file('{{inventory_hostname}}.w'), content: 'w' } }),
  ]);
  const op = operator('apply');
  const p = await play({ runbook: rb, inventory: inventory(1), confirm: op.confirm });
  assert.equal(op.asked.map((a) => a.stepName), ['Write']);
  assert.is(p.exitCode, 0);
});

test('only the hosts that still take the step are asked about; a host in sync shows as in sync', async () => {
  await writeFile(file('h2.a'), 'a\n');
  const op = operator('apply', 'apply', 'apply');
  await play({ runbook: threeFiles(), inventory: inventory(2), confirm: op.confirm });
  assert.equal(op.asked[0].hosts.map((h) => `${h.result.host}:${h.result.status}`), ['h1:changed', 'h2:ok']);
});

test('handlers are asked about too; a run_once step is previewed on its one host', async () => {
  const rb = runbook(
    [
      step('content', {}, { name: 'Config', notify: ['Restart'], args: { path: file('{{inventory_hostname}}.conf'), content: 'x' } }),
      step('log', {}, { name: 'Once', runOnce: true, args: { path: file('once.log'), text: '{{inventory_hostname}}' } }),
    ],
    { handlers: [step('log', {}, { name: 'Restart', args: { path: file('restart.log'), text: '{{inventory_hostname}}' } })] },
  );
  const op = operator('apply', 'apply', 'skip');
  const p = await play({ runbook: rb, inventory: inventory(2), confirm: op.confirm });
  assert.equal(op.asked.map((a) => `${a.stepName}:${a.handler}:${a.hosts.length}`), ['Config:false:2', 'Once:false:1', 'Restart:true:2']);
  assert.ok(!existsSync(file('restart.log')));
  assert.equal(statuses(p, 'Restart'), ['h1:skipped', 'h2:skipped']);
});

test('a no_log step shows that it would change, and nothing of what', async () => {
  const rb = runbook([step('content', {}, { name: 'Secret', noLog: true, args: { path: file('{{inventory_hostname}}.key'), content: 'hunter2' } })]);
  const op = operator('quit');
  await play({ runbook: rb, inventory: inventory(1), confirm: op.confirm });
  const shown = op.asked[0].hosts[0];
  assert.is(shown.result.status, 'changed');
  assert.not.match(JSON.stringify(shown), /hunter2|\.key/);
});

test('a strategy free play refuses --confirm before touching a host', async () => {
  const rb = runbook([step('content', {}, { name: 'W', args: { path: file('x'), content: 'x' } })], { strategy: 'free' });
  const e = await caught(play({ runbook: rb, inventory: inventory(1), confirm: operator().confirm }));
  assert.match(String(e), /strategy free/);
  assert.ok(!existsSync(file('x')));
});

test.run();
