// A runbook played with the CLI over SSH against a real loopback sshd: it converges, then reports
// 0 changed; a changed host key stops the host with a clear message and a non-zero exit.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inventoryYaml, keygen, startSshd, type Sshd } from '../helpers/sshd.js';
import { ensureBuilt, runbook, type Ran } from '../cli/helpers.js';
import { waitFor } from '../helpers/wait.js';

let sshd: Sshd;
let project: string;
let target: string;

const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const recap = (r: Ran) => /web1\s*:\s*ok=(\d+)\s+changed=(\d+)/.exec(r.stdout);

function inventory(knownHosts: string): string {
  const path = join(project, 'inventory.yaml');
  writeFileSync(path, inventoryYaml(sshd, knownHosts, { greeting: 'hello over ssh' }));
  return path;
}

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  project = mkdtempSync(join(tmpdir(), 'runbook-ssh-play-'));
  target = join(project, 'target');
  mkdirSync(join(project, 'runbooks', 'templates'), { recursive: true });
  writeFileSync(join(project, 'runbooks', 'templates', 'motd.hbs'), 'Welcome to {{inventory_hostname}}: {{greeting}}\n');
  writeFileSync(
    join(project, 'runbooks', 'site.yaml'),
    `name: site
steps:
  - name: Make the directory
    file: { path: ${target}, state: directory, mode: '0750' }
  - name: Write the motd from a template
    template: { src: templates/motd.hbs, dest: ${target}/motd }
  - name: Link to it
    symlink: { src: ${target}/motd, dest: ${target}/motd.link }
  - name: Set a line
    lineinfile: { path: ${target}/env, line: "export GREETING='{{greeting}}'", create: true }
`,
  );
});

test.after(async () => {
  await sshd?.stop();
  rmSync(project, { recursive: true, force: true });
});

test('over SSH: the first play converges, the second reports 0 changed, on one connection each', async () => {
  const inv = inventory(sshd.knownHosts);
  const before = sshd.connections();
  const first = await runbook(['play', 'site', '-i', inv], project);
  assert.is(first.code, 0, show(first));
  assert.is(recap(first)?.[2], '4', show(first));
  assert.is(readFileSync(join(target, 'motd'), 'utf8'), 'Welcome to web1: hello over ssh\n');
  const second = await runbook(['play', 'site', '-i', inv], project);
  assert.is(second.code, 0, show(second));
  assert.is(recap(second)?.[2], '0', show(second));
  assert.is(sshd.connections() - before, 2, 'one TCP connection per play');
});

test('with RUNBOOK_CONTROL_PERSIST, the plays after the first reuse its connection; the agent then exits', async () => {
  const inv = inventory(sshd.knownHosts);
  const home = mkdtempSync(join(tmpdir(), 'runbook-ssh-play-home-'));
  const saved = process.env.HOME;
  process.env.HOME = home;
  process.env.RUNBOOK_CONTROL_PERSIST = '2';
  try {
    const before = sshd.connections();
    for (let i = 0; i < 3; i++) {
      const r = await runbook(['play', 'site', '-i', inv], project);
      assert.is(r.code, 0, show(r));
      assert.is(recap(r)?.[2], '0', show(r));
    }
    assert.is(sshd.connections() - before, 1, 'one TCP connection for three plays');
    const cp = join(home, '.runbook', 'cp');
    assert.ok(await waitFor(() => !readdirSync(cp).some((f) => f.endsWith('.sock'))), 'the agent exited 2 s after the last play');
  } finally {
    process.env.HOME = saved;
    delete process.env.RUNBOOK_CONTROL_PERSIST;
    rmSync(home, { recursive: true, force: true });
  }
});

test('a changed host key stops the host: possible man-in-the-middle, file:line, non-zero exit', async () => {
  const otherKey = join(project, 'other_host_key');
  keygen(otherKey);
  const wrong = join(project, 'known_hosts.wrong');
  const otherPub = readFileSync(`${otherKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(wrong, `# first line\n[${sshd.address}]:${sshd.port} ${otherPub}\n`);
  const r = await runbook(['play', 'site', '-i', inventory(wrong)], project);
  assert.is(r.code, 4, show(r));
  const out = r.stdout + r.stderr;
  assert.match(out, /man-in-the-middle/i);
  assert.match(out, new RegExp(`${wrong.replace(/[.]/g, '\\.')}:2`));
});

test.run();
