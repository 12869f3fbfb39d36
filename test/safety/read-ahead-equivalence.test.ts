// Safety #4: a result read ahead must never change what a play does. Over a real sshd, generated
// mixes of steps (commands that write but report ok, line edits, copies, removals) run twice on
// identical trees, once with read-ahead and once without; statuses and files must be the same.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../src/engine/events.js';
import { planPlay } from '../../src/engine/plan.js';
import { runPlay } from '../../src/engine/run.js';
import { loadRunbook } from '../../src/load/runbook.js';
import type { Inventory } from '../../src/model.js';
import { loadTaskRegistry, type TaskRegistry } from '../../src/task/registry.js';
import { openLibrary, shippedLayer } from '../../src/project/library.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let project: string;
let registry: TaskRegistry;
const execMany = SshTransport.prototype.execMany;

test.before(async () => {
  sshd = await startSshd();
  project = mkdtempSync(join(tmpdir(), 'runbook-ra-equiv-'));
  mkdirSync(join(project, 'runbooks'));
  registry = await loadTaskRegistry([shippedLayer()]);
});

test.after(async () => {
  SshTransport.prototype.execMany = execMany;
  await sshd?.stop();
  rmSync(project, { recursive: true, force: true });
});

/** Small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A runbook of `n` steps over three files in `dir`, mixing writers that report ok with checked edits. */
function generate(seed: number, dir: string, n: number): string {
  const rnd = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const files = ['a.conf', 'b.conf', 'c.conf'].map((f) => `${dir}/${f}`);
  const words = ['alpha', 'beta', 'gamma'];
  const steps = Array.from({ length: n }, (_, i) => {
    const f = pick(files);
    const w = pick(words);
    switch (pick(['sed', 'append', 'lineinfile', 'copy', 'absent', 'blockinfile', 'lineinfile'])) {
      case 'sed':
        return `  - name: s${i} sed\n    command: { argv: [sed, -i, -e, 's/${w}/${pick(words)}/', ${f}] }\n    changed_when: false\n    failed_when: false`;
      case 'append':
        return `  - name: s${i} append\n    shell: { cmd: "printf '%s\\\\n' ${w} >> ${f}" }\n    changed_when: false`;
      case 'lineinfile':
        return `  - name: s${i} lineinfile\n    lineinfile: { path: ${f}, line: ${w}, create: true }`;
      case 'copy':
        return `  - name: s${i} copy\n    copy: { dest: ${f}, content: "${w}\\n" }`;
      case 'absent':
        return `  - name: s${i} absent\n    file: { path: ${f}, state: absent }`;
      default:
        return `  - name: s${i} blockinfile\n    blockinfile: { path: ${f}, block: ${w}, create: true }`;
    }
  });
  return `name: mix\nsteps:\n${steps.join('\n')}\n`;
}

/** Plays `yaml` on the sshd host; the host results as `step:status`. */
async function playOver(name: string, yaml: string, runId: string): Promise<string[]> {
  writeFileSync(join(project, 'runbooks', `${name}.yaml`), yaml);
  const runbook = await loadRunbook(name, { library: await openLibrary(project), registry });
  const inventory: Inventory = { hash: '', hosts: new Map([['web1', inventoryHost(sshd, 'web1')]]), groups: new Map(), knownHostsFile: sshd.knownHosts };
  const statuses: string[] = [];
  await runPlay({
    plan: await planPlay({ runbook, inventory, registry, extraVars: {}, tags: { only: [], skip: [] } }),
    sinks: [{ emit: (e: RunEvent) => void (e.type === 'host-result' && statuses.push(`${e.stepName}:${e.status}`)) }],
    projectDir: project,
    runId,
  });
  return statuses;
}

async function play(seed: number, readAhead: boolean): Promise<{ statuses: string[]; files: Record<string, string> }> {
  const dir = join(project, `s${seed}-${readAhead ? 'ra' : 'plain'}`);
  mkdirSync(dir);
  for (const f of ['a.conf', 'b.conf']) writeFileSync(join(dir, f), 'alpha\nbeta\n');
  SshTransport.prototype.execMany = readAhead ? execMany : (undefined as unknown as typeof execMany);
  let statuses: string[];
  try {
    statuses = await playOver('mix', generate(seed, dir, 24), `t-${seed}-${readAhead}`);
  } finally {
    SshTransport.prototype.execMany = execMany;
  }
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) files[f] = readFileSync(join(dir, f), 'utf8');
  return { statuses, files };
}

test('read-ahead never changes the outcome of a play, over 12 generated mixes of steps', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const plain = await play(seed, false);
    const ahead = await play(seed, true);
    assert.equal(ahead.statuses, plain.statuses, `seed ${seed}: statuses`);
    assert.equal(ahead.files, plain.files, `seed ${seed}: files`);
  }
});

test('a command that edits a file but reports ok does not leave a later check stale', async () => {
  const file = join(project, 'edited');
  writeFileSync(file, 'port=1\n');
  const statuses = await playOver(
    'stale',
    `name: stale
steps:
  - name: already there
    file: { path: ${project}, state: directory }
  - name: edit by hand
    command: { argv: [sed, -i, s/port=1/port=2/, ${file}] }
    changed_when: false
  - name: want port 1
    lineinfile: { path: ${file}, regexp: '^port=', line: port=1 }
`,
    't-stale',
  );
  assert.equal(statuses, ['already there:ok', 'edit by hand:ok', 'want port 1:changed']);
  assert.is(readFileSync(file, 'utf8'), 'port=1\n');
});

test.run();
