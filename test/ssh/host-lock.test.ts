// The run lock and the history on the host itself, over a real sshd, as a team meets them: two
// operators in two project directories play against the same host; one runs, the other is refused
// with the holder's name; a holder killed with -9 leaves its lock until `runbook unlock` breaks it;
// `runbook history` from a third directory lists both operators' runs from the host.

import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inventoryYaml, startSshd, type Sshd } from '../helpers/sshd.js';
import { ensureBuilt, runbook, type Ran } from '../cli/helpers.js';
import { startRunbook } from '../journal/cli-helpers.js';
import { waitFor } from '../helpers/wait.js';

let sshd: Sshd;
let root: string;
let hostDir: string;
let flag: string;
let out: string;

const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** A project directory of its own, as an operator's checkout on their laptop would be. */
function project(name: string): { dir: string; inventory: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(
    join(dir, 'runbooks', 'slow.yaml'),
    `name: slow
steps:
  - name: Write the marker
    copy: { dest: ${out}/marker-${name}, content: "${name}\\n" }
  - name: Wait for the go-ahead
    wait_for: { path: ${flag}, timeout: 300, sleep: 0.2 }
`,
  );
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, inventoryYaml(sshd, sshd.knownHosts));
  return { dir, inventory };
}

function as<T>(operator: string, run: () => T): T {
  const before = process.env.RUNBOOK_OPERATOR;
  process.env.RUNBOOK_OPERATOR = operator;
  try {
    return run();
  } finally {
    if (before === undefined) delete process.env.RUNBOOK_OPERATOR;
    else process.env.RUNBOOK_OPERATOR = before;
  }
}

const locked = () => existsSync(join(hostDir, 'lock', 'holder.json'));

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  root = mkdtempSync(join(tmpdir(), 'runbook-host-lock-'));
  hostDir = join(sshd.dir, 'runbook');
  flag = join(root, 'go');
  out = join(root, 'out');
  mkdirSync(out);
});

test.after(async () => {
  await sshd?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('two operators at once: one runs, the other is refused naming the holder; then it runs', async () => {
  const alice = project('alice');
  const bob = project('bob');
  const holder = as('alice', () => startRunbook(['play', 'slow', '-i', alice.inventory], alice.dir));
  const exited = new Promise<number | null>((resolve) => holder.on('exit', (code) => resolve(code)));
  assert.ok(await waitFor(locked, 60_000), 'alice took the lock');
  const refused = await as('bob', () => runbook(['play', 'slow', '-i', bob.inventory], bob.dir));
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /web1 is locked by run \S+ of slow \(alice@[^)]+\) since \d{4}-/);
  assert.match(refused.stderr, /runbook unlock -i <inventory> --host web1/);
  assert.not.ok(existsSync(join(out, 'marker-bob')), 'the refused play changed nothing');
  assert.match((await runbook(['runs'], bob.dir)).stdout, /no runs yet/, 'and left no run behind');
  writeFileSync(flag, '');
  assert.is(await exited, 0);
  assert.not.ok(locked(), 'alice released the lock');
  const after = await as('bob', () => runbook(['play', 'slow', '-i', bob.inventory], bob.dir));
  assert.is(after.code, 0, show(after));
  rmSync(flag);
});

test('a holder killed with -9 keeps the lock; unlock shows and breaks it; history from a third directory lists both operators', async () => {
  const alice = project('alice');
  const bob = project('bob');
  const holder = as('alice', () => startRunbook(['play', 'slow', '-i', alice.inventory], alice.dir));
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  assert.ok(await waitFor(locked, 60_000), 'alice took the lock');
  holder.kill('SIGKILL');
  await exited;
  const refused = await as('bob', () => runbook(['play', 'slow', '-i', bob.inventory], bob.dir));
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /locked by run \S+ of slow \(alice@/);

  const unlock = await as('bob', () => runbook(['unlock', '-i', bob.inventory, '--host', 'web1'], bob.dir));
  assert.is(unlock.code, 0, show(unlock));
  assert.match(unlock.stdout, /web1: broke the lock of run \S+ of slow \(alice@[^)]+\) since .*, last renewed \d+ s ago/);
  writeFileSync(flag, '');
  const played = await as('bob', () => runbook(['play', 'slow', '-i', bob.inventory], bob.dir));
  assert.is(played.code, 0, show(played));

  const carol = project('carol');
  const listed = await as('carol', () => runbook(['history', '-i', carol.inventory], carol.dir));
  assert.is(listed.code, 0, show(listed));
  const rows = listed.stdout.split('\n').filter((l) => l.startsWith('web1 '));
  // Newest first: bob's two runs, alice's finished one (the killed run never finished: no line).
  assert.equal(rows.map((r) => /\s(\w+)@\S+\s+(\w+)/.exec(r)?.slice(1).join(' ')), ['bob ok', 'bob ok', 'alice ok'], listed.stdout);
  const lines = readFileSync(join(hostDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => [l.operator, l.runbook, l.result]), [['alice', 'slow', 'ok'], ['bob', 'slow', 'ok'], ['bob', 'slow', 'ok']]);
  assert.equal(lines[0].changed, ['Write the marker']);
  assert.equal(lines[2].changed, []);
});

test('a rollback of a killed run takes over that run\'s lock, undoes it and releases the lock', async () => {
  rmSync(flag, { force: true });
  const dave = project('dave');
  const holder = as('dave', () => startRunbook(['play', 'slow', '-i', dave.inventory], dave.dir));
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  assert.ok(await waitFor(locked, 60_000), 'dave took the lock');
  assert.ok(await waitFor(() => existsSync(join(out, 'marker-dave')), 60_000));
  holder.kill('SIGKILL');
  await exited;
  const back = await as('dave', () => runbook(['rollback'], dave.dir));
  assert.is(back.code, 0, show(back));
  assert.not.ok(existsSync(join(out, 'marker-dave')), 'the killed run is undone');
  assert.not.ok(locked(), 'and the lock released');
  const last = JSON.parse(readFileSync(join(hostDir, 'history.jsonl'), 'utf8').trim().split('\n').at(-1)!);
  assert.match(last.runbook, /^slow \(rollback of \S+\)$/);
  assert.equal([last.operator, last.result, last.changed], ['dave', 'ok', ['undo Write the marker']]);
});

test("a rollback's undo: steps run on the host under the rollback's own lock, which is released after", async () => {
  const erin = project('erin');
  writeFileSync(
    join(erin.dir, 'runbooks', 'made.yaml'),
    `name: made
steps:
  - name: Make it
    shell: { cmd: "echo made > ${out}/made-erin", creates: "${out}/made-erin" }
    undo:
      - name: Remove it
        file: { path: ${out}/made-erin, state: absent }
`,
  );
  const play = await as('erin', () => runbook(['play', 'made', '-i', erin.inventory], erin.dir));
  assert.is(play.code, 0, show(play));
  const back = await as('erin', () => runbook(['rollback'], erin.dir));
  assert.is(back.code, 0, show(back));
  assert.not.ok(existsSync(join(out, 'made-erin')), 'the undo: steps ran');
  assert.not.ok(locked(), 'and the lock is released');
  const last = JSON.parse(readFileSync(join(hostDir, 'history.jsonl'), 'utf8').trim().split('\n').at(-1)!);
  assert.equal([last.runbook.replace(/\S+\)$/, 'ID)'), last.result, last.changed], ['made (rollback of ID)', 'ok', ['undo Make it']]);
});

test('a host directory another user could write into, or a link, is refused before anything runs', async () => {
  const erin = project('erin');
  for (const [what, make] of [
    ['writable by others', (p: string) => (mkdirSync(p), chmodSync(p, 0o777))],
    // A link to the real directory: the check must not follow it.
    ['a link', (p: string) => symlinkSync(hostDir, p)],
  ] as const) {
    const planted = join(root, `planted-${what.replaceAll(' ', '-')}`);
    make(planted);
    writeFileSync(erin.inventory, inventoryYaml(sshd, sshd.knownHosts, { runbook_host_dir: planted }));
    const r = await runbook(['play', 'slow', '-i', erin.inventory], erin.dir);
    assert.is(r.code, 1, `${what}: ${show(r)}`);
    assert.match(r.stderr, /must be a directory of root that nobody else can write, not a link/, what);
    assert.not.ok(existsSync(join(out, 'marker-erin')), `${what}: nothing ran`);
  }
});

test('a history line that cannot be written is warned about, and the lock is released all the same', async () => {
  const dave = project('dave');
  writeFileSync(flag, '');
  const history = join(hostDir, 'history.jsonl');
  renameSync(history, `${history}.saved`);
  mkdirSync(history);
  try {
    const r = await runbook(['play', 'slow', '-i', dave.inventory], dave.dir);
    assert.is(r.code, 0, show(r));
    assert.match(r.stderr, /could not append to \S+history\.jsonl: .*Is a directory/);
    assert.not.ok(locked(), 'the lock is released');
  } finally {
    rmSync(history, { recursive: true });
    renameSync(`${history}.saved`, history);
    rmSync(flag);
  }
});

test('--check takes no lock and writes no history', async () => {
  const bob = project('bob');
  const before = readFileSync(join(hostDir, 'history.jsonl'), 'utf8');
  const check = await runbook(['play', 'slow', '-i', bob.inventory, '--check'], bob.dir);
  assert.is(check.code, 0, show(check));
  assert.is(readFileSync(join(hostDir, 'history.jsonl'), 'utf8'), before);
  assert.not.ok(locked());
});

test.run();
