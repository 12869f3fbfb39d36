// Inventory hosts that are one machine (seeds/004's instances: several members sharing an address)
// over a real sshd: their steps never overlap there, while the play still runs every member; they
// share one run lock, taken once, and leave one history line naming them all; the shipped preflight
// refuses two of one kind that share an instance.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostsInventoryYaml, startSshd, type Sshd } from '../helpers/sshd.js';
import { makeProject, removeDir, startRunbook, tempDir } from '../journal/cli-helpers.js';
import { ensureBuilt, runbook, type Ran } from '../cli/helpers.js';
import { waitFor } from '../helpers/wait.js';
import { machineOf } from '../../src/engine/machine.js';

let sshd: Sshd;
let out: string;
let project: string;
const MEMBERS = ['zookeeper1', 'zookeeper2', 'zookeeper3'];
const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  out = tempDir('runbook-one-machine-');
  // Each member takes the machine's "busy" directory for the length of its step and waits there
  // for the test's go-ahead: a second member inside at the same time fails its mkdir.
  project = makeProject({
    members: `name: members
steps:
  - name: Hold the machine
    shell:
      cmd: |
        mkdir ${out}/busy || { echo "another member is inside" >&2; exit 1; }
        touch ${out}/entered-{{inventory_hostname}}
        i=0; until [ -e ${out}/go ]; do i=$((i + 1)); [ $i -lt 1200 ] || exit 2; sleep 0.1; done
        rmdir ${out}/busy
`,
  });
  writeFileSync(join(project, 'inventory.yaml'), hostsInventoryYaml(sshd, MEMBERS, { oneMachine: true }));
});

test.after(async () => {
  await sshd?.stop();
  removeDir(out);
  if (project) rmSync(project, { recursive: true, force: true });
});

test('members of one machine run a step one at a time; one lock, one history line naming them', async () => {
  const child = startRunbook(['play', 'members', '-i', 'inventory.yaml'], project);
  const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The first member inside holds the lock the whole machine shares.
  assert.ok(await waitFor(() => readdirSync(out).some((f) => f.startsWith('entered-')), 120_000), 'a member entered the step');
  const lock = JSON.parse(readFileSync(join(sshd.dir, 'runbook', 'lock', 'holder.json'), 'utf8')) as { run: string };
  assert.ok(lock.run);
  mkdirSync(join(out, 'go'));
  assert.is(await ended, 0, 'the play ended well: no member found another inside');
  assert.equal(readdirSync(out).filter((f) => f.startsWith('entered-')).sort(), MEMBERS.map((m) => `entered-${m}`));
  assert.not.ok(existsSync(join(sshd.dir, 'runbook', 'lock')), 'the lock is released');
  const history = readFileSync(join(sshd.dir, 'runbook', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hosts?: string[]; result: string; changed: string[] });
  assert.is(history.length, 1, 'one line for the machine');
  assert.equal(history[0].hosts, MEMBERS);
  assert.is(history[0].result, 'ok');
  assert.equal(history[0].changed, ['Hold the machine']);
});

test('runbook history and unlock: one row for the machine, naming its members', async () => {
  const r = await runbook(['history', '-i', 'inventory.yaml'], project);
  assert.is(r.code, 0, show(r));
  const rows = r.stdout.split('\n').filter((l) => / members /.test(l));
  assert.is(rows.length, 1, r.stdout);
  assert.match(rows[0], /^zookeeper1,zookeeper2,zookeeper3 /);
  const u = await runbook(['unlock', '-i', 'inventory.yaml'], project);
  assert.is(u.code, 0, show(u));
  assert.equal(u.stdout.trim().split('\n'), ['zookeeper1,zookeeper2,zookeeper3: not locked']);
});

test("the shipped preflight refuses two members of one kind with one instance on one machine, naming them", async () => {
  const inventory = (instances: number[]) =>
    hostsInventoryYaml(sshd, MEMBERS, { oneMachine: true }).replace(/^    (zookeeper\d): \{ /gm, (_m, h: string) => `    ${h}: { instance: ${instances[MEMBERS.indexOf(h)]}, `) +
    `  children:\n    zookeeper:\n      hosts:\n${MEMBERS.map((m) => `        ${m}:\n`).join('')}`;
  const only = ['--step', 'Check no other member on this machine has this member*'];
  writeFileSync(join(project, 'clash.yaml'), inventory([1, 2, 2]));
  const clash = await runbook(['play', 'preflight', '-i', 'clash.yaml', ...only], project);
  assert.is(clash.code, 2, show(clash));
  assert.match(clash.stdout + clash.stderr, /zookeeper2 shares \S+ and the instance "2" with: zookeeper3 \(zookeeper\)/);
  assert.match(clash.stdout + clash.stderr, /zookeeper3 shares \S+ and the instance "2" with: zookeeper2 \(zookeeper\)/);
  writeFileSync(join(project, 'apart.yaml'), inventory([1, 2, 3]));
  const apart = await runbook(['play', 'preflight', '-i', 'apart.yaml', ...only], project);
  assert.is(apart.code, 0, show(apart));
});

test('machineOf: where the connection lands; local hosts are each their own', () => {
  const base = { connection: 'ssh' as const, vars: {} };
  assert.is(machineOf({ ...base, name: 'a', address: 'Node1' }), machineOf({ ...base, name: 'b', address: 'node1', port: 22 }));
  assert.is.not(machineOf({ ...base, name: 'a', address: 'node1' }), machineOf({ ...base, name: 'b', address: 'node1', port: 2222 }));
  assert.is.not(machineOf({ ...base, name: 'a', address: '10.0.0.5' }), machineOf({ ...base, name: 'b', address: '10.0.0.5', jumpHost: 'bastion' }));
  assert.is.not(machineOf({ connection: 'local', vars: {}, name: 'a', address: 'a' }), machineOf({ connection: 'local', vars: {}, name: 'b', address: 'a' }));
});

test.run();
