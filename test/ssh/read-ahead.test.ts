// Check read-ahead (src/engine/read-ahead.ts) over a real sshd: a no-op play reads its checks in
// a few round trips instead of one per step, reports exactly what it reports without read-ahead,
// and a change the play makes is never hidden from a later check by a result read before it.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../src/engine/events.js';
import { planPlay } from '../../src/engine/plan.js';
import { runPlay } from '../../src/engine/run.js';
import { loadRunbook } from '../../src/load/runbook.js';
import type { Inventory, InventoryHost } from '../../src/model.js';
import { loadTaskRegistry, type TaskRegistry } from '../../src/task/registry.js';
import { openLibrary, shippedLayer } from '../../src/project/library.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { sudoUser } from '../helpers/sudo-user.js';

let sshd: Sshd;
let project: string;
let registry: TaskRegistry;
const calls = { exec: 0, execMany: 0, readAhead: 0, tabled: 0, become: 0 };
/** Every script a batch sent, and every one sent on its own, in the last play. */
let batched: string[] = [];
let single: string[] = [];

test.before(async () => {
  sshd = await startSshd();
  project = mkdtempSync(join(tmpdir(), 'runbook-read-ahead-'));
  mkdirSync(join(project, 'runbooks'));
  registry = await loadTaskRegistry([shippedLayer()]);
  const { exec, execMany } = SshTransport.prototype;
  SshTransport.prototype.exec = function (this: SshTransport, ...a: Parameters<typeof exec>) {
    calls.exec++;
    single.push(a[0]);
    return exec.apply(this, a);
  };
  SshTransport.prototype.execMany = function (this: SshTransport, ...a: Parameters<typeof execMany>) {
    calls.execMany++;
    calls.readAhead += a[0].length;
    batched.push(...a[0]);
    // Batches whose probes take their paths' fields from one stat (sdk/stat-table.ts).
    if (a[1]?.prelude?.includes('__runbook_stat=')) calls.tabled++;
    if (a[1]?.become) calls.become++;
    return execMany.apply(this, a);
  };
});

test.after(async () => {
  await sshd?.stop();
  rmSync(project, { recursive: true, force: true });
});

async function play(name: string, yaml: string, checkMode = false, host: Partial<InventoryHost> = {}) {
  writeFileSync(join(project, 'runbooks', `${name}.yaml`), yaml);
  const runbook = await loadRunbook(name, { library: await openLibrary(project), registry });
  const inventory: Inventory = { hash: '', hosts: new Map([['web1', inventoryHost(sshd, 'web1', host)]]), groups: new Map(), knownHostsFile: sshd.knownHosts };
  const results: Array<Extract<RunEvent, { type: 'host-result' }>> = [];
  Object.assign(calls, { exec: 0, execMany: 0, readAhead: 0, tabled: 0, become: 0 });
  batched = [];
  single = [];
  const r = await runPlay({
    plan: await planPlay({ runbook, inventory, registry, extraVars: {}, tags: { only: [], skip: [] } }),
    sinks: [{ emit: (e: RunEvent) => void (e.type === 'host-result' && results.push(e)) }],
    projectDir: project,
    runId: `t-${Date.now()}`,
    checkMode,
    diff: true,
  });
  return { ...r, results, statuses: results.map((e) => `${e.stepName}:${e.status}`), calls: { ...calls } };
}

test('a no-op play of 12 steps reads its checks ahead in a few round trips, with the same results', async () => {
  const dir = join(project, 'tree');
  const steps = Array.from({ length: 12 }, (_, i) =>
    i % 2 === 0
      ? `  - name: dir ${i}\n    file: { path: ${dir}/d${i}, state: directory, mode: '0750' }`
      : `  - name: file ${i}\n    copy: { dest: ${dir}/d${i - 1}/f, content: "file ${i}\\n" }`,
  );
  const yaml = `name: twelve\nsteps:\n  - name: root\n    file: { path: ${dir}, state: directory }\n${steps.join('\n')}\n`;
  const first = await play('twelve', yaml);
  assert.is(first.status, 'ok');
  assert.is(first.recap.web1.changed, 13);

  const again = await play('twelve', yaml);
  assert.equal(again.recap.web1, { ok: 13, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 });
  assert.ok(again.calls.execMany >= 1 && again.calls.execMany <= 3, `${again.calls.execMany} batches`);
  assert.ok(again.calls.exec <= 3, `${again.calls.exec} single execs besides the batches`);
  assert.ok(again.calls.readAhead >= 13, `${again.calls.readAhead} checks read ahead`);
  assert.ok(again.calls.tabled >= 1, 'the batches stat their paths in one go');

  const check = await play('twelve', yaml, true);
  assert.equal(check.recap.web1.changed, 0);
  assert.ok(check.calls.execMany >= 1, '--check reads ahead too');
});

test('steps that read the same file have its probe sent once in a batch; a change between them is still seen', async () => {
  const shared = join(project, 'shared.conf');
  const steps = ['a=1', 'b=2', 'c=3'].map((line) => `  - name: line ${line}\n    lineinfile: { path: ${shared}, line: ${line}, create: true }`);
  const yaml = `name: shared\nsteps:\n${steps.join('\n')}\n  - name: other\n    copy: { dest: ${project}/other.conf, content: "x\\n" }\n`;
  const first = await play('shared', yaml);
  assert.is(first.recap.web1.changed, 4);
  assert.is(readFileSync(shared, 'utf8'), 'a=1\nb=2\nc=3\n', 'each step read the file as the one before left it');
  const again = await play('shared', yaml);
  assert.equal(again.recap.web1, { ok: 4, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 });
  const sentShared = batched.filter((script) => script.includes(shared));
  assert.is(sentShared.length, again.calls.execMany, `the shared file's probe once per batch (${sentShared.length} in ${again.calls.execMany})`);
  assert.ok(!single.some((script) => script.includes(shared)), 'the three steps took the one result, none read it again');
});

test('logged in as a user with sudo, a become play reads ahead on the become shell, with the same results', async () => {
  const homes = mkdtempSync(join(tmpdir(), 'runbook-read-ahead-home-'));
  chmodSync(homes, 0o755);
  const account = sudoUser('runbook-read-ahead', 'unused', join(homes, 'home'));
  account.allow('nopasswd');
  try {
    const dir = join(project, 'as-root');
    const steps = Array.from({ length: 6 }, (_, i) => `  - name: dir ${i}\n    file: { path: ${dir}/d${i}, state: directory, mode: '0700' }`);
    const yaml = `name: as-root\nsteps:\n  - name: root\n    file: { path: ${dir}, state: directory, mode: '0700' }\n${steps.join('\n')}\n`;
    const host = { user: account.name, become: true };
    const first = await play('as-root', yaml, false, host);
    assert.is(first.recap.web1.changed, 7);
    assert.is(statSync(join(dir, 'd5')).uid, 0, 'made by root');
    const again = await play('as-root', yaml, false, host);
    assert.equal(again.recap.web1, { ok: 7, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 });
    assert.ok(again.calls.become >= 1 && again.calls.become === again.calls.execMany, `${again.calls.become} of ${again.calls.execMany} batches as root`);
    assert.ok(again.calls.readAhead >= 7, `${again.calls.readAhead} checks read ahead`);
    assert.ok(again.calls.tabled >= 1, 'with a stat table');
  } finally {
    account.remove();
    rmSync(homes, { recursive: true, force: true });
  }
});

test('files compared by their sums: a no-op reads no content; one changed on the host is read for its diff and written back', async () => {
  const dir = join(project, 'summed');
  mkdirSync(dir, { recursive: true });
  const steps = Array.from({ length: 6 }, (_, i) => `  - name: file ${i}\n    copy: { dest: ${dir}/f${i}, content: "file ${i}\\n" }`);
  const yaml = `name: summed\nsteps:\n${steps.join('\n')}\n`;
  assert.is((await play('summed', yaml)).recap.web1.changed, 6);
  const again = await play('summed', yaml);
  assert.is(again.recap.web1.changed, 0);
  assert.ok(batched.length >= 6, `${batched.length} checks read ahead`);
  assert.ok(!single.some((script) => script.includes('cat --')), 'no content read on its own');

  writeFileSync(join(dir, 'f3'), 'edited by hand\n');
  const check = await play('summed', yaml, true);
  assert.equal(check.statuses.filter((s) => !s.endsWith(':ok')), ['file 3:changed']);
  const diff = check.results.find((e) => e.stepName === 'file 3')?.diff?.[0];
  assert.equal([diff?.before, diff?.after], ['edited by hand\n', 'file 3\n'], 'the diff has the content the sum did not carry');
  assert.equal((await play('summed', yaml)).statuses.filter((s) => !s.endsWith(':ok')), ['file 3:changed']);
  assert.is(readFileSync(join(dir, 'f3'), 'utf8'), 'file 3\n');
});

test('a change is never hidden from a later check by a result read before it', async () => {
  const file = join(project, 'same-file');
  // Both steps want the same content; the second must find the first's write, not the absent
  // file that was read ahead before it.
  const yaml = `name: twice
steps:
  - name: write it
    copy: { dest: ${file}, content: "one\\n" }
  - name: dir
    file: { path: ${project}/other, state: directory }
  - name: write it again
    copy: { dest: ${file}, content: "one\\n" }
`;
  const r = await play('twice', yaml);
  assert.equal(r.statuses, ['write it:changed', 'dir:changed', 'write it again:ok']);
});

test.run();
