// set_fact through the built CLI: vars computed from a registered result, in a loop (the last item
// wins), read by a later step; the plan knows their names, so validate and --check accept them.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook, type Ran } from '../cli/helpers.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-set-fact-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(
    join(dir, 'runbooks', 'facts.yaml'),
    `name: facts
vars:
  out_dir: ${dir}
steps:
  - name: Count
    shell: echo 3
    register: out
    changed_when: false
    check_mode: false
  - name: Remember
    set_fact:
      count: "{{trim out.stdout}}"
      label: "n{{trim out.stdout}}"
  - name: One per item
    set_fact:
      last: "{{item}}"
    loop: [a, b]
  - name: Not on this host
    when: false
    set_fact:
      last: never
  - name: Write
    copy:
      dest: "{{out_dir}}/f"
      content: "{{count}} {{label}} {{last}}\\n"
`,
  );
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('set_fact: later steps read the vars it set, the last loop item winning; validate and --check know the names', async () => {
  const validated = await runbook(['validate', 'facts'], dir);
  assert.is(validated.code, 0, show(validated));
  const checked = await runbook(['play', 'facts', '--check'], dir);
  assert.is(checked.code, 0, show(checked));
  const played = await runbook(['play', 'facts'], dir);
  assert.is(played.code, 0, show(played));
  assert.is(readFileSync(join(dir, 'f'), 'utf8'), '3 n3 b\n');
  assert.match(played.stdout, /ok: \[localhost\] Remember/);
  const again = await runbook(['play', 'facts'], dir);
  assert.match(again.stdout, /changed=0/, again.stdout);
});

test('set_fact: a resumed run takes the values the earlier run set, without setting them again', async () => {
  writeFileSync(
    join(dir, 'runbooks', 'resumed.yaml'),
    `name: resumed
vars:
  out_dir: ${dir}
steps:
  - name: Remember
    set_fact:
      stamp: "first"
  - name: Wait for the go
    command: test -e ${dir}/go
    changed_when: false
  - name: Write
    copy:
      dest: "{{out_dir}}/resumed"
      content: "{{stamp}}\\n"
`,
  );
  const failed = await runbook(['play', 'resumed'], dir);
  assert.is(failed.code, 2, show(failed));
  writeFileSync(join(dir, 'go'), '');
  const resumed = await runbook(['resume'], dir);
  assert.is(resumed.code, 0, show(resumed));
  assert.match(resumed.stdout, /skipping: \[localhost\] Remember \(done in an earlier run\)/);
  assert.is(readFileSync(join(dir, 'resumed'), 'utf8'), 'first\n');
});

test('set_fact: a name that is no var name, or cacheable, is refused where it is written', async () => {
  writeFileSync(join(dir, 'runbooks', 'bad.yaml'), 'name: bad\nsteps:\n  - name: Bad\n    set_fact:\n      "not a name": 1\n');
  const r = await runbook(['validate', 'bad'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /bad\.yaml:\d+:\d+: .*"not a name" is not a var name \(letters, digits, _\)/);
});

test.run();
