// Safety (medium): rollback never overwrites what changed after the run without being told to
// (--check shows it, rollback refuses, --force overwrites), and a command that failed without an
// undo no longer keeps every other change of the run from being undone.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, makeProject, removeDir, runbook, type Ran } from '../journal/cli-helpers.js';

const projects: string[] = [];
const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test.before(ensureBuilt);
test.after(() => projects.forEach(removeDir));

function project(name: string, yaml: string): { dir: string; out: string } {
  const dir = makeProject({ [name]: yaml });
  projects.push(dir);
  const out = join(dir, 'out');
  mkdirSync(out);
  return { dir, out };
}

test('a file edited by hand and a file added to a created directory are shown by --check and not clobbered', async () => {
  const { dir, out } = project(
    'edits',
    `name: edits
vars:
  out: { type: string, required: true }
steps:
  - name: Config
    copy: { dest: "{{out}}/app.conf", content: "port=1\\n" }
  - name: Data dir
    file: { path: "{{out}}/data/sub", state: directory }
  - name: Tuned
    lineinfile: { path: "{{out}}/app.conf", line: "heap=1g" }
`,
  );
  writeFileSync(join(out, 'app.conf'), 'original\n');
  const play = await runbook(['play', 'edits', '-e', `out=${out}`], dir);
  assert.is(play.code, 0, show(play));
  writeFileSync(join(out, 'app.conf'), 'port=1\nheap=1g\nhand=edit\n');
  writeFileSync(join(out, 'data', 'sub', 'precious.db'), 'data\n');

  const check = await runbook(['rollback', '--check'], dir);
  assert.is(check.code, 0, show(check));
  assert.match(check.stdout, /would undo "Tuned" \(lineinfile\) -- BUT .*app\.conf was changed since the run/);
  assert.match(check.stdout, /would undo "Data dir" \(file\) -- BUT .*precious\.db was added under .*data since the run/);

  const refused = await runbook(['rollback'], dir);
  assert.is(refused.code, 2, show(refused));
  assert.match(refused.stdout, /refused to undo "Tuned"/);
  assert.is(readFileSync(join(out, 'app.conf'), 'utf8'), 'port=1\nheap=1g\nhand=edit\n', 'the hand edit is kept');
  assert.ok(existsSync(join(out, 'data', 'sub', 'precious.db')));

  const forced = await runbook(['rollback', '--force'], dir);
  assert.is(forced.code, 0, show(forced));
  assert.is(readFileSync(join(out, 'app.conf'), 'utf8'), 'original\n');
  assert.not.ok(existsSync(join(out, 'data')));
});

test('a failed command without undo: the rest of the run is still rolled back, and the user is told', async () => {
  const { dir, out } = project(
    'fails',
    `name: fails
vars:
  out: { type: string, required: true }
steps:
  - name: Config
    copy: { dest: "{{out}}/app.conf", content: "x\\n" }
  - name: Migrate
    shell: { cmd: "exit 3" }
`,
  );
  const play = await runbook(['play', 'fails', '-e', `out=${out}`], dir);
  assert.is(play.code, 2, show(play));
  const rollback = await runbook(['rollback'], dir);
  assert.is(rollback.code, 0, show(rollback));
  assert.match(rollback.stdout, /could not undo "Migrate" \(shell, interrupted while applying\): it failed before it finished/);
  assert.not.ok(existsSync(join(out, 'app.conf')), 'the copy was undone');
});

test.run();
