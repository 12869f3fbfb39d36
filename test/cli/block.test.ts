// block/rescue/always through the built CLI, on this machine: a failure inside a block runs its
// rescue (which reads it as ansible_failed_task and ansible_failed_result) and the play goes on (rescued in the recap, exit 0); always runs both ways; a rescue that
// fails fails the host after always; an inner block's failure nothing rescues is the outer
// block's; without a failure rescue is passed over; a resumed run retries what failed.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook, type Ran } from './helpers.js';

let dir: string;
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const log = () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').trim().split('\n') : []);
const mark = (word: string) => `shell: echo ${word} >> {{out}}/log`;

function write(name: string, steps: string): void {
  writeFileSync(join(dir, 'runbooks', `${name}.yaml`), `name: ${name}\nvars:\n  out: ${dir}\n  fail_in_rescue: false\nsteps:\n${steps}`);
}

test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-block-'));
  mkdirSync(join(dir, 'runbooks'));
  write(
    'rescued',
    `  - name: Upgrade, or put it back
    block:
      - name: Before
        ${mark('before')}
      - name: Breaks
        command: "false"
      - name: Never
        ${mark('never')}
    rescue:
      - name: Put back
        ${mark('rescue {{ansible_failed_task.name}} rc={{ansible_failed_result.rc}}')}
      - name: Maybe fail in the rescue
        command: "false"
        when: fail_in_rescue
    always:
      - name: Always
        ${mark('always')}
  - name: After
    ${mark('after')}
`,
  );
  write(
    'nested',
    `  - name: Outer
    block:
      - name: Inner
        block:
          - name: Breaks inside
            command: "false"
        always:
          - name: Inner always
            ${mark('inner-always')}
      - name: Not after the inner failure
        ${mark('never')}
    rescue:
      - name: Outer rescue
        ${mark('outer-rescue')}
  - name: Fine block
    block:
      - name: Works
        ${mark('works')}
    rescue:
      - name: Not needed
        ${mark('never')}
  - name: Done
    ${mark('done')}
`,
  );
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a failure in a block runs its rescue and always, and the play goes on: rescued, exit 0', async () => {
  const r = await runbook(['play', 'rescued'], dir);
  assert.is(r.code, 0, show(r));
  assert.equal(log(), ['before', 'rescue Breaks rc=1', 'always', 'after']);
  assert.match(r.stdout, /failed: \[localhost\] Breaks/);
  assert.match(r.stdout, /localhost : ok=4 changed=4 unreachable=0 failed=0 skipped=1 rescued=1 ignored=0/);
});

test('a rescue that fails: always still runs, then the host fails', async () => {
  rmSync(join(dir, 'log'));
  const r = await runbook(['play', 'rescued', '-e', 'fail_in_rescue=true'], dir);
  assert.is(r.code, 2, show(r));
  assert.equal(log(), ['before', 'rescue Breaks rc=1', 'always']);
  assert.match(r.stdout, /failed=2 skipped=0 rescued=0/);
});

test('an inner block without rescue fails the outer one (after its always); a block that does not fail passes its rescue over', async () => {
  rmSync(join(dir, 'log'));
  const r = await runbook(['play', 'nested'], dir);
  assert.is(r.code, 0, show(r));
  assert.equal(log(), ['inner-always', 'outer-rescue', 'works', 'done']);
  assert.not.match(r.stdout, /Not needed|Not after/);
});

test('validate: a block part holds steps; a checkpoint inside a block is refused where it is written', async () => {
  writeFileSync(join(dir, 'runbooks', 'bad.yaml'), 'name: bad\nsteps:\n  - name: B\n    block:\n      - checkpoint: inside\n    rescu:\n      - name: x\n        command: "true"\n');
  const r = await runbook(['validate', 'bad'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /bad\.yaml:7:7: unknown key of a block "rescu"/);
  writeFileSync(join(dir, 'runbooks', 'bad.yaml'), 'name: bad\nsteps:\n  - name: B\n    block:\n      - checkpoint: inside\n');
  const c = await runbook(['validate', 'bad'], dir);
  assert.match(c.stderr, /bad\.yaml:5:9: a checkpoint inside a block/);
});

test('resume after a later failure: the rescued step is tried again, the block goes on from there', async () => {
  rmSync(join(dir, 'log'));
  write(
    'resumed',
    `  - name: Try
    block:
      - name: Needs the flag
        command: test -e {{out}}/flag
      - name: With the flag
        ${mark('with-flag')}
    rescue:
      - name: Without it
        ${mark('rescue')}
  - name: Needs the go
    command: test -e {{out}}/go
`,
  );
  const first = await runbook(['play', 'resumed'], dir);
  assert.is(first.code, 2, show(first));
  assert.equal(log(), ['rescue']);
  writeFileSync(join(dir, 'flag'), '');
  writeFileSync(join(dir, 'go'), '');
  const resumed = await runbook(['resume'], dir);
  assert.is(resumed.code, 0, show(resumed));
  assert.equal(log(), ['rescue', 'with-flag']);
});

test.run();
