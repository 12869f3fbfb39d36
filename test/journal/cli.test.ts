// The journal from the command line, as a user drives it: resume after a failure runs only what
// is left, rollback restores every touched path exactly and a second rollback does nothing, and a
// resume after the runbook was edited is refused, naming the steps that changed.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, exec, journalOf, makeProject, removeDir, root, runbook, runIds, treeListing, writeText, type Ran } from './cli-helpers.js';

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

const FLAKY = `name: flaky
vars:
  out: { type: string, required: true }
steps:
  - name: First file
    copy: { dest: "{{out}}/one", content: "1\\n" }
  - name: Second file
    copy: { dest: "{{out}}/two", content: "2\\n" }
  - name: A failure that is tolerated
    shell: { cmd: "echo ran >> {{out}}/tolerated; exit 1" }
    ignore_errors: true
  - name: Needs the flag
    copy: { dest: "{{out}}/three", src: flag.txt }
  - name: Fourth file
    copy: { dest: "{{out}}/four", content: "4\\n" }
`;

test('rollback --json: NDJSON events on stdout, a host-result per change (status, what was done), the run around them; --check too', async () => {
  const { dir, out } = project({ flaky: FLAKY });
  writeFileSync(join(dir, 'runbooks', 'flag.txt'), '3\n');
  const play = await runbook(['play', 'flaky', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const [played] = await runIds(dir);
  const events = (r: Ran) => r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; [k: string]: unknown });

  const check = await runbook(['rollback', '--check', '--json'], dir);
  assert.is(check.code, 0, show(check));
  const predicted = events(check);
  const steps = (list: typeof predicted) => list.filter((e) => e.type === 'host-result').map((e) => [e.stepName, e.status]);
  assert.equal(predicted.map((e) => e.type), ['run-start', ...Array(5).fill('host-result'), 'run-end']);
  assert.is(predicted[0].checkMode, true);
  assert.is(predicted[0].runbook, `flaky (rollback of ${played})`);
  // Newest first; the tolerated failure changed nothing it could undo: skipped, said why.
  const expected = [['Fourth file', 'changed'], ['Needs the flag', 'changed'], ['A failure that is tolerated', 'skipped'], ['Second file', 'changed'], ['First file', 'changed']];
  assert.equal(steps(predicted), expected);
  assert.is(predicted[1].summary, 'would undo "Fourth file" (copy)');
  assert.match(String(predicted[3].summary), /cannot: it did not finish/);
  assert.ok(existsSync(join(out, 'four')), '--check changes nothing');

  const undone = await runbook(['rollback', '--json'], dir);
  assert.is(undone.code, 0, show(undone));
  const done = events(undone);
  assert.equal(done.map((e) => e.type), ['run-start', ...Array(5).fill('host-result'), 'run-end']);
  assert.equal(steps(done), expected);
  assert.is(done[1].summary, 'undone "Fourth file" (copy)');
  assert.match(String(done[3].summary), /^could not undo "A failure that is tolerated"/);
  assert.is(done[6].status, 'ok');
  assert.not.ok(existsSync(join(out, 'four')));
  assert.match(undone.stderr, new RegExp(`rollback \\S+ of run ${played}: 4 undone, 0 failed, 0 not reversible`));
  assert.not.match(undone.stdout, /undone, 0 failed/, 'stdout carries the events only');
});

test('a failed step: play stops there; once fixed, resume runs only it and the steps after', async () => {
  const { dir, out } = project({ flaky: FLAKY });
  const play = await runbook(['play', 'flaky', '-e', `out=${out}`], dir);
  assert.is(play.code, 2, show(play));
  const [id] = await runIds(dir);
  assert.match(play.stderr, `runbook resume ${id}`);
  assert.ok(existsSync(join(out, 'two')));
  assert.not.ok(existsSync(join(out, 'three')));

  const runs = await runbook(['runs'], dir);
  assert.match(runs.stdout, new RegExp(`${id}\\s+flaky\\s+.*failed\\s+0 ok / 1 failed`), show(runs));

  writeFileSync(join(dir, 'runbooks', 'flag.txt'), '3\n');
  const resume = await runbook(['resume'], dir);
  assert.is(resume.code, 0, show(resume));
  assert.is(readFileSync(join(out, 'three'), 'utf8'), '3\n');
  assert.is(readFileSync(join(out, 'four'), 'utf8'), '4\n');

  const { records, damaged } = await journalOf(dir, id);
  assert.is(damaged.length, 0);
  const marker = records.findIndex((r) => r.type === 'resume');
  assert.ok(marker > 0, 'the resume continues the same journal');
  const after = records.slice(marker);
  const started = after.flatMap((r) => (r.type === 'host-start' ? [r.stepName] : []));
  assert.equal(started, ['Needs the flag', 'Fourth file'], 'only the failed step and the ones after it ran again');
  assert.is(readFileSync(join(out, 'tolerated'), 'utf8'), 'ran\n', 'a failure ignore_errors let through is not run again');
  const undos = after.flatMap((r) => (r.type === 'host-undo' ? [r.stepId] : []));
  assert.ok(undos.every((s) => !/First file|Second file/.test(s)), 'earlier steps were not re-applied');
  for (const name of ['First file', 'Second file']) {
    const r = after.find((x) => x.type === 'host-result' && x.stepName === name);
    assert.ok(r && r.type === 'host-result' && r.status === 'skipped', `${name} reported as skipped`);
  }
  const shown = await runbook(['runs', 'show', id], dir);
  assert.match(shown.stdout, /status ok/);
  assert.match(shown.stdout, /changed\s+Needs the flag/);

  const again = await runbook(['resume'], dir);
  assert.is(again.code, 1, 'nothing left to resume');
  assert.match(again.stderr, /no failed or interrupted run/);
});

test('--step runs only the steps named, and a resume keeps to them', async () => {
  const { dir, out } = project({ flaky: FLAKY });
  const play = await runbook(['play', 'flaky', '-e', `out=${out}`, '--step', 'Needs the flag', '--step', 'Fourth*'], dir);
  assert.is(play.code, 2, show(play));
  assert.not.ok(existsSync(join(out, 'one')), 'a step not named did not run');
  writeFileSync(join(dir, 'runbooks', 'flag.txt'), '3\n');
  const resume = await runbook(['resume'], dir);
  assert.is(resume.code, 0, show(resume));
  assert.equal(['one', 'two', 'three', 'four'].map((f) => existsSync(join(out, f))), [false, false, true, true]);
});

test('resume after editing the runbook is refused and names the changed steps; --force goes on', async () => {
  const { dir, out } = project({ flaky: FLAKY });
  const play = await runbook(['play', 'flaky', '-e', `out=${out}`], dir);
  assert.is(play.code, 2, show(play));
  const file = join(dir, 'runbooks', 'flaky.yaml');
  writeFileSync(
    file,
    FLAKY.replace('content: "4\\n"', 'content: "four\\n"') + '  - name: Fifth file\n    copy: { dest: "{{out}}/five", content: "5\\n" }\n',
  );
  writeFileSync(join(dir, 'runbooks', 'flag.txt'), '3\n');
  const refused = await runbook(['resume'], dir);
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /changed steps: "Fourth file"/);
  assert.match(refused.stderr, /added steps: "Fifth file"/);
  assert.not.match(refused.stderr, /First file|Second file|Needs the flag/);
  assert.not.ok(existsSync(join(out, 'three')), 'nothing ran');

  const forced = await runbook(['resume', '--force'], dir);
  assert.is(forced.code, 0, show(forced));
  assert.is(readFileSync(join(out, 'four'), 'utf8'), 'four\n');
  assert.ok(existsSync(join(out, 'five')));
});

test('rollback after a full play restores every touched path byte for byte; a second rollback is a no-op', async () => {
  const { dir, out } = project({
    touch: `name: touch
vars:
  out: { type: string, required: true }
steps:
  - name: Overwrite a file
    copy: { dest: "{{out}}/existing.txt", content: "new content\\n", mode: '0644' }
  - name: New file
    copy: { dest: "{{out}}/new.txt", content: "brand new\\n" }
  - checkpoint: files-written
  - name: Edit a line
    lineinfile: { path: "{{out}}/conf.properties", regexp: "^b=", line: "b=3" }
  - name: New directory
    file: { path: "{{out}}/newdir", state: directory, mode: '0750' }
  - name: File in the new directory
    copy: { dest: "{{out}}/newdir/inner.txt", content: "inner\\n" }
  - name: Repoint a link
    symlink: { src: new.txt, dest: "{{out}}/link", force: true }
  - name: New link
    symlink: { src: existing.txt, dest: "{{out}}/newlink" }
  - name: Change a mode
    file: { path: "{{out}}/script.sh", state: file, mode: '0755' }
`,
  });
  writeFileSync(join(out, 'existing.txt'), 'original\n\u0000binary\u00ff tail without newline');
  chmodSync(join(out, 'existing.txt'), 0o640);
  writeFileSync(join(out, 'conf.properties'), 'a=1\nb=2\nc=3\n');
  writeFileSync(join(out, 'script.sh'), '#!/bin/sh\n');
  chmodSync(join(out, 'script.sh'), 0o600);
  symlinkSync('existing.txt', join(out, 'link'));
  const before = treeListing(out);

  const play = await runbook(['play', 'touch', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const played = treeListing(out);
  assert.is.not(played, before);
  assert.match(played, /link link -> new\.txt/);
  // A re-run that finds everything in sync changed nothing: rollback's default is the play before.
  const again = await runbook(['play', 'touch', '-e', `out=${out}`], dir);
  assert.is(again.code, 0, show(again));

  const check = await runbook(['rollback', '--check'], dir);
  assert.is(check.code, 0, show(check));
  assert.match(check.stdout, /would undo "Change a mode"/);
  assert.is(treeListing(out), played, '--check changes nothing');

  const partial = await runbook(['rollback', '--to', 'files-written'], dir);
  assert.is(partial.code, 0, show(partial));
  assert.ok(existsSync(join(out, 'new.txt')), 'changes before the checkpoint stay');
  assert.not.ok(existsSync(join(out, 'newdir')), 'changes after the checkpoint are undone');
  assert.is(readFileSync(join(out, 'conf.properties'), 'utf8'), 'a=1\nb=2\nc=3\n');

  const full = await runbook(['rollback'], dir);
  assert.is(full.code, 0, show(full));
  assert.is(treeListing(out), before);
  assert.is(readFileSync(join(out, 'existing.txt'), 'latin1'), Buffer.from('original\n\u0000binary\u00ff tail without newline').toString('latin1'));

  const second = await runbook(['rollback'], dir);
  assert.is(second.code, 0, show(second));
  assert.match(second.stdout, /nothing to undo/);
  assert.is(treeListing(out), before);
  const ids = await runIds(dir);
  assert.is(ids.length, 4, 'the two plays and two rollbacks are journaled; the no-op and --check made no run');
});

test('a drift check (--check --detailed-exitcode): 0 in sync; 3 after a hand edit, naming the step; a failure stays 2', async () => {
  const { dir, out } = project({
    conf: `name: conf
vars:
  out: { type: string, required: true }
steps:
  - name: Write app.conf
    copy: { dest: "{{out}}/app.conf", content: "a=1\\n" }
  - name: Write other.conf
    copy: { dest: "{{out}}/other.conf", content: "b=2\\n" }
`,
  });
  const drift = (...more: string[]) => runbook(['play', 'conf', '-e', `out=${out}`, '--check', '--detailed-exitcode', ...more], dir);
  const first = await runbook(['play', 'conf', '-e', `out=${out}`, '--detailed-exitcode'], dir);
  assert.is(first.code, 3, `a play that changed something: ${show(first)}`);
  const clean = await drift();
  assert.is(clean.code, 0, show(clean));
  writeFileSync(join(out, 'app.conf'), 'a=2\n');
  const drifted = await drift('--diff');
  assert.is(drifted.code, 3, show(drifted));
  assert.match(drifted.stdout, /changed: \[localhost\] Write app\.conf/);
  assert.match(drifted.stdout, /-a=2\n\+a=1/);
  assert.not.match(drifted.stdout, /changed: \[localhost\] Write other\.conf/);
  assert.is(readFileSync(join(out, 'app.conf'), 'utf8'), 'a=2\n', '--check changed nothing');
  // A change, then a failure (a file where a directory should be): the failure's code wins.
  writeText(join(dir, 'runbooks', 'mixed.yaml'), `name: mixed
steps:
  - name: Write new.conf
    copy: { dest: "${out}/new.conf", content: "c=3\\n" }
  - name: Write under a file
    copy: { dest: "${out}/app.conf/nested", content: "x\\n" }
`);
  const failed = await runbook(['play', 'mixed', '--detailed-exitcode'], dir);
  assert.is(failed.code, 2, show(failed));
  assert.match(failed.stdout, /changed: \[localhost\] Write new\.conf/);
});

test('a command without undo stops the rollback before it (--force skips it); an undo: block reverses one', async () => {
  const { dir, out } = project({
    commands: `name: commands
vars:
  out: { type: string, required: true }
steps:
  - name: Reversible command
    shell: { cmd: "echo made > {{out}}/made", creates: "{{out}}/made" }
    undo:
      - name: Remove what it made
        file: { path: "{{out}}/made", state: absent }
  - name: Irreversible command
    shell: { cmd: "echo x > {{out}}/marker", creates: "{{out}}/marker" }
  - name: Plain file
    copy: { dest: "{{out}}/plain", content: "p\\n" }
`,
  });
  const play = await runbook(['play', 'commands', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const check = await runbook(['rollback', '--check'], dir);
  assert.match(check.stdout, /would undo "Irreversible command" \(shell\) \(NOT REVERSIBLE/);
  assert.match(check.stdout, /would undo "Reversible command" \(shell\) \(by its undo: steps\)/);

  const stopped = await runbook(['rollback'], dir);
  assert.is(stopped.code, 2, show(stopped));
  assert.match(stopped.stdout, /stopped before "Irreversible command"/);
  assert.not.ok(existsSync(join(out, 'plain')), 'newer changes were undone');
  assert.ok(existsSync(join(out, 'made')), 'older ones are left in place');

  const forced = await runbook(['rollback', '--force'], dir);
  assert.is(forced.code, 0, show(forced));
  assert.not.ok(existsSync(join(out, 'made')), 'the undo: block ran');
  assert.ok(existsSync(join(out, 'marker')), 'the irreversible change stays');
});

test('an irreversible step: rollback undoes what came after it, then stops there, also with --force, and says why', async () => {
  const { dir, out } = project({
    bump: `name: bump
vars:
  out: { type: string, required: true }
steps:
  - name: Before
    copy: { dest: "{{out}}/before", content: "b\\n" }
  - include: bumped
    irreversible: the brokers speak the new protocol
  - name: After
    copy: { dest: "{{out}}/after", content: "a\\n" }
`,
    bumped: `name: bumped
vars:
  out: { type: string, required: true }
steps:
  - name: The bump
    copy: { dest: "{{out}}/bump", content: "new\\n" }
`,
  });
  const play = await runbook(['play', 'bump', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const check = await runbook(['rollback', '--check'], dir);
  assert.match(check.stdout, /would undo "After"/);
  assert.match(check.stdout, /would stop before "The bump" \(copy\): it is a point of no return: the brokers speak the new protocol/);
  assert.not.match(check.stdout, /would undo "Before"/);
  for (const args of [['rollback'], ['rollback', '--force']]) {
    const r = await runbook(args, dir);
    assert.is(r.code, 2, show(r));
    assert.match(r.stdout, /stopped before "The bump" \(copy\): it is a point of no return: the brokers speak the new protocol/);
  }
  assert.not.ok(existsSync(join(out, 'after')), 'what came after it is undone');
  assert.ok(existsSync(join(out, 'bump')) && existsSync(join(out, 'before')), 'it and what came before stay');
});

test('a point of no return run once, on one host: rollback stops every host there, not only that one', async () => {
  const { dir, out } = project({
    bump: `name: bump
vars:
  out: { type: string, required: true }
steps:
  - name: Move
    copy: { dest: "{{out}}/moved-{{inventory_hostname}}", content: "m\\n" }
  - name: Bump
    run_once: true
    copy: { dest: "{{out}}/bumped", content: "b\\n" }
    irreversible: the metadata is the new release's
`,
  });
  writeFileSync(join(dir, 'inv.yaml'), `all:\n  hosts:\n${['h1', 'h2', 'h3'].map((h) => `    ${h}:\n      ansible_connection: local\n`).join('')}`);
  const play = await runbook(['play', 'bump', '-i', 'inv.yaml', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const r = await runbook(['rollback'], dir);
  assert.is(r.code, 2, show(r));
  assert.match(r.stdout, /h2: stopped before "Bump" \(copy\) on h1: it is a point of no return: the metadata is the new release's/);
  for (const h of ['h1', 'h2', 'h3']) assert.ok(existsSync(join(out, `moved-${h}`)), `${h}: its move stays`);
  assert.ok(existsSync(join(out, 'bumped')));
});

test('a step that ran one host at a time (throttle) is rolled back one host at a time, the last one first', async () => {
  const { dir, out } = project({
    roll: `name: roll
vars:
  out: { type: string, required: true }
steps:
  - name: One host at a time
    throttle: 1
    shell: { cmd: "echo {{inventory_hostname}} >> {{out}}/applied", creates: "{{out}}/done-{{inventory_hostname}}" }
    undo:
      # Two hosts undoing at once would find the other's directory: the step fails.
      - name: Alone
        shell: { cmd: "mkdir {{out}}/busy && echo {{inventory_hostname}} >> {{out}}/undone && sleep 0.2 && rmdir {{out}}/busy" }
`,
  });
  writeFileSync(join(dir, 'inv.yaml'), `all:\n  hosts:\n${['h1', 'h2', 'h3'].map((h) => `    ${h}:\n      ansible_connection: local\n`).join('')}`);
  const play = await runbook(['play', 'roll', '-i', 'inv.yaml', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  const rollback = await runbook(['rollback'], dir);
  assert.is(rollback.code, 0, show(rollback));
  const applied = readFileSync(join(out, 'applied'), 'utf8').trim().split('\n');
  assert.equal(readFileSync(join(out, 'undone'), 'utf8').trim().split('\n'), applied.reverse());
});

test("a step's undo: steps run before its task's own undo: they clear away what grew from the change", async () => {
  const { dir, out } = project({
    grow: `name: grow
vars:
  out: { type: string, required: true }
steps:
  - name: The data directory
    file: { path: "{{out}}/data", state: directory }
  - name: Format it
    copy: { dest: "{{out}}/data/meta.properties", content: "id=1\\n" }
    undo:
      - name: Remove what the service wrote there
        shell: { cmd: "find {{out}}/data -mindepth 1 ! -name meta.properties -exec rm -rf {} +" }
`,
  });
  const play = await runbook(['play', 'grow', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  // What a service started on the formatted directory writes, after the run.
  mkdirSync(join(out, 'data', '__cluster_metadata-0'));
  writeFileSync(join(out, 'data', '__cluster_metadata-0', '00000000000000000000.log'), 'x');
  const check = await runbook(['rollback', '--check'], dir);
  assert.match(check.stdout, /would undo "Format it" \(copy\) \(its undo: steps first\)/);
  const rollback = await runbook(['rollback'], dir);
  assert.is(rollback.code, 0, show(rollback));
  assert.not.ok(existsSync(join(out, 'data')), 'the directory the run created is gone: it was empty once the undo: steps ran');
});

test("a step's undo: steps run before its drift is held against it: files grown in the directory it made are cleared, then it is removed; what they leave is refused", async () => {
  const { dir, out } = project({
    made: `name: made
vars:
  out: { type: string, required: true }
steps:
  - name: The data directory
    file: { path: "{{out}}/data", state: directory }
    undo:
      - name: Remove what the service wrote there
        shell: { cmd: "find {{out}}/data -mindepth 1 -maxdepth 1 -name '__*' -exec rm -rf {} +" }
`,
  });
  const grow = () => {
    mkdirSync(join(out, 'data', '__cluster_metadata-0'));
    writeFileSync(join(out, 'data', '__cluster_metadata-0', '00000000000000000000.log'), 'x');
  };
  let play = await runbook(['play', 'made', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  grow();
  const check = await runbook(['rollback', '--check'], dir);
  assert.match(check.stdout, /would undo "The data directory" \(file\) \(its undo: steps first\) -- BUT .*__cluster_metadata-0\/0+\.log was added under .*data since the run: its undo: steps run first; rollback refuses it if they leave it so, unless --force/, check.stdout);
  const rollback = await runbook(['rollback'], dir);
  assert.is(rollback.code, 0, show(rollback));
  assert.not.ok(existsSync(join(out, 'data')), 'the directory is gone: its undo: steps emptied it first');

  // A file the undo: steps leave (someone's own) is still refused, and kept.
  play = await runbook(['play', 'made', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  grow();
  writeFileSync(join(out, 'data', 'precious.db'), 'mine');
  const refused = await runbook(['rollback'], dir);
  assert.is(refused.code, 2, show(refused));
  assert.match(refused.stdout, /refused to undo "The data directory" \(file\): .*precious\.db was added under .*data since the run, still after its undo: steps ran/);
  assert.is(readFileSync(join(out, 'data', 'precious.db'), 'utf8'), 'mine');
  assert.not.ok(existsSync(join(out, 'data', '__cluster_metadata-0')));
});

test('on a terminal, rollback draws a live tree: a branch per host, its changes listed under it, then the count', async () => {
  const { dir, out } = project({
    two: `name: two
vars:
  out: { type: string, required: true }
steps:
  - name: First file
    copy: { dest: "{{out}}/one", content: "1\\n" }
  - name: Second file
    copy: { dest: "{{out}}/two", content: "2\\n" }
`,
  });
  const play = await runbook(['play', 'two', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  // util-linux's script gives the CLI a terminal (80 columns: a PTY starts with none).
  const main = join(root, 'dist/cli/main.js');
  const r = await exec('script', ['-qec', `stty cols 80 rows 24; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} rollback`, '/dev/null'], dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  // The last frame of the tree: what stays on screen.
  const screen = r.stdout.slice(r.stdout.lastIndexOf('\x1b[G')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  assert.match(screen, /✔ localhost: 2 undone\n +› undone "Second file" \(copy\)\n +› undone "First file" \(copy\)\n/, screen);
  assert.match(screen, /rollback \S+ of run \S+: 2 undone, 0 failed, 0 not reversible/);
  assert.not.ok(existsSync(join(out, 'one')) || existsSync(join(out, 'two')));
});

test('rollback masks secrets in what it shows and journals: an undo that logs and fails with a secret var', async () => {
  const { dir } = project({ leaky: 'name: leaky\nsteps:\n  - name: Touch the service\n    leaky: {}\n' });
  writeText(
    join(dir, 'tasks', 'leaky.ts'),
    `import { defineTask, z } from 'runbook';
export default defineTask({
  name: 'leaky',
  description: 'a task whose undo says too much',
  doc: 'test fixture',
  args: z.object({}),
  async check() { return { inSync: false, undo: {}, summary: 'touch it' }; },
  async apply() { return { undo: {} }; },
  async undo(ctx) {
    ctx.log('logging in with ' + String(ctx.vars.api_token));
    throw new Error('denied for ' + String(ctx.vars.api_token));
  },
});
`,
  );
  writeFileSync(join(dir, 'inv.yaml'), 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n      api_token: s3cr3t-t0ken-value\n');
  const play = await runbook(['play', 'leaky', '-i', 'inv.yaml'], dir);
  assert.is(play.code, 0, show(play));
  for (const args of [['rollback'], ['rollback', '--json']]) {
    const r = await runbook(args, dir);
    assert.is(r.code, 2, show(r));
    assert.match(r.stdout, /denied for \*{8}/, show(r));
    assert.not.match(r.stdout + r.stderr, /s3cr3t/);
  }
  for (const id of await runIds(dir)) {
    assert.not.match(JSON.stringify(await journalOf(dir, id)), /s3cr3t/, `run ${id}'s journal`);
  }
});

test("an include's undo: steps run where it changed something, once every host has undone its changes, as many at a time as their throttle", async () => {
  const { dir, out } = project({
    roll: `name: roll
vars:
  out: { type: string, required: true }
steps:
  - name: Read the phase
    shell: { cmd: "echo zookeeper" }
    changed_when: false
    register: phase
  # Its when names a var registered in the play: the undo: steps must not inherit it.
  - include: configure
    when: eq phase.stdout "zookeeper"
    vars: { mode: migrating }
    undo:
      - name: Roll the host back
        throttle: 1
        shell: { cmd: "mkdir {{out}}/busy && ls {{out}} | grep -c '^conf-' > {{out}}/seen-{{inventory_hostname}}; echo {{inventory_hostname}} {{mode}} >> {{out}}/rolled; sleep 0.2; rmdir {{out}}/busy" }
  - name: After
    copy: { dest: "{{out}}/after-{{inventory_hostname}}", content: "a\\n" }
`,
    configure: `name: configure
vars:
  out: { type: string, required: true }
  mode: { type: string, default: zookeeper }
steps:
  - name: Write the config
    copy: { dest: "{{out}}/conf-{{inventory_hostname}}", content: "{{mode}}\\n" }
`,
  });
  writeFileSync(join(dir, 'inv.yaml'), `all:\n  hosts:\n${['h1', 'h2', 'h3'].map((h) => `    ${h}:\n      ansible_connection: local\n`).join('')}`);
  // h3's config is already as the include writes it: the include changes nothing there.
  writeFileSync(join(out, 'conf-h3'), 'migrating\n');
  const play = await runbook(['play', 'roll', '-i', 'inv.yaml', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));

  const check = await runbook(['rollback', '--check'], dir);
  assert.is(check.code, 0, show(check));
  for (const h of ['h1', 'h2']) assert.match(check.stdout, new RegExp(`${h}: would undo the include "configure" \\(by its undo: steps\\)`));
  assert.not.match(check.stdout, /h3: would undo the include/);

  const rollback = await runbook(['rollback'], dir);
  assert.is(rollback.code, 0, show(rollback));
  assert.equal(readFileSync(join(out, 'rolled'), 'utf8').trim().split('\n').sort(), ['h1 migrating', 'h2 migrating'], 'once on each host it changed, with the include\'s vars');
  for (const h of ['h1', 'h2']) assert.is(readFileSync(join(out, `seen-${h}`), 'utf8').trim(), '1', `${h}: every config the include wrote was gone before it ran (h3's own stays)`);
  assert.is(readFileSync(join(out, 'conf-h3'), 'utf8'), 'migrating\n');

  const again = await runbook(['rollback'], dir);
  assert.is(again.code, 0, show(again));
  assert.match(again.stdout, /nothing to undo/);
});

test.run();
