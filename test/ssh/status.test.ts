// `runbook status` through the built CLI over a real sshd, on a host that is meant to be a
// ZooKeeper member and a broker but runs neither, beside a broker that cannot be reached and a
// KRaft controller that is not installed: down (exit 6), each host's facts as found, the run the
// host recorded last, --json valid against the published schema, --html written, the host's Kafka
// tools asked where sshd forwards nothing, --watch until Ctrl-C, and the usage errors. A running
// cluster is checked in test/serial/install-cluster.test.ts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { spawn } from 'node:child_process';
import { ensureBuilt, root, runbook, type Ran } from '../cli/helpers.js';
import { waitFor } from '../helpers/wait.js';
import type { HostFacts, StatusReport } from '../../src/status/report.js';

let sshd: Sshd;
let dir: string;
let inventory: string;

const show = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test.before(async () => {
  await ensureBuilt();
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'runbook-status-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'mark.yaml'), `name: mark\nsteps:\n  - name: Write the marker\n    copy: { dest: ${dir}/marker, content: "x\\n" }\n`);
  const closed = await freePort();
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `all:
  vars:
    known_hosts_file: ${sshd.knownHosts}
    ansible_user: ${sshd.user}
    ansible_ssh_private_key_file: ${sshd.userKey}
    runbook_host_dir: ${join(sshd.dir, 'runbook')}
  hosts:
    web1: { ansible_host: 127.0.0.1, ansible_port: ${sshd.port}, broker_id: 1 }
    ghost: { ansible_host: 127.0.0.1, ansible_port: ${closed}, broker_id: 2 }
    ctl1: { ansible_host: 127.0.0.1, ansible_port: ${sshd.port}, broker_id: 3 }
  children:
    zookeeper: { hosts: { web1: {} } }
    kafka: { hosts: { web1: {}, ghost: {} } }
    controller: { hosts: { ctl1: {} } }
`,
  );
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('nothing runs: down (exit 6), the problems first, then a row per host', async () => {
  const played = await runbook(['play', 'mark', '-i', inventory, '--limit', 'web1'], dir);
  assert.is(played.code, 0, show(played));
  const r = await runbook(['status', '-i', inventory], dir);
  assert.is(r.code, 6, show(r));
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^DOWN {2}3 host\(s\), \d{4}-/);
  assert.ok(lines.includes('DOWN  ZooKeeper has no quorum: 0 of 1 members serve, no leader'), r.stdout);
  assert.match(r.stdout, /\nDEGRADED {2}ghost: not reached: /);
  assert.ok(lines.includes('DEGRADED  web1: kafka is not installed (no such unit)'), r.stdout);
  // A dedicated KRaft controller (the controller group only) is a Kafka node, never an expected broker.
  assert.ok(lines.includes('DEGRADED  ctl1: kafka is not installed (no such unit)'), r.stdout);
  assert.not.match(r.stdout, /broker 3 is not registered/);
  assert.match(r.stdout, /\nweb1 +no unit +no unit, id 1 .* mark ok \d{4}-/);
  assert.match(r.stdout, /\nghost +UNREACHABLE/);
});

test('--json: valid against docs/status.schema.json, with what the host has and its last run', async () => {
  const html = join(dir, 'status.html');
  const r = await runbook(['status', '-i', inventory, '--json', '--html', html], dir);
  assert.is(r.code, 6, show(r));
  const report = JSON.parse(r.stdout) as StatusReport;
  const schema = JSON.parse(readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.ok(validate(report as unknown), JSON.stringify(validate.errors, null, 2));
  assert.is(report.health, 'down');
  const [web1, ghost, ctl1] = report.hosts as [HostFacts, HostFacts, HostFacts];
  assert.is(web1.name, 'web1');
  assert.is(web1.reachable, true);
  assert.is.not(web1.kafka?.unit.active, 'active');
  assert.is(web1.kafka?.broker_id, 1);
  assert.is(web1.zookeeper?.client_port, 2181);
  assert.is(web1.last_run?.runbook, 'mark');
  assert.is(web1.last_run?.result, 'ok');
  assert.is(ghost.reachable, false);
  assert.is(ctl1.kafka?.broker_id, 3);
  assert.is(ctl1.kafka?.registered, undefined);
  assert.equal(report.cluster.kafka?.expected, [1, 2]);
  assert.equal(report.cluster.kafka?.registered, []);
  // Asked over web1's SSH connection with Kafka's protocol: nothing listens there.
  assert.match(report.cluster.kafka?.error ?? '', /^no broker answers \(web1:9092: .*; ghost:9092: /);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.startsWith('<!doctype html>'));
  assert.ok(page.includes('<h2>web1</h2>') && page.includes('<h2>ghost</h2>'));
});

test("a host whose sshd forwards nothing: the partitions are asked with the host's own Kafka tools", async () => {
  const closed = await startSshd({ config: ['AllowTcpForwarding no'] });
  try {
    const inv = join(dir, 'no-forwarding.yaml');
    writeFileSync(inv, readFileSync(inventory, 'utf8').replace(`ansible_port: ${sshd.port}`, `ansible_port: ${closed.port}`).replace(sshd.knownHosts, closed.knownHosts).replace(sshd.userKey, closed.userKey));
    const r = await runbook(['status', '-i', inv, '--json', '--limit', 'web1'], dir);
    assert.is(r.code, 6, show(r));
    const report = JSON.parse(r.stdout) as StatusReport;
    assert.match(report.cluster.kafka?.error ?? "", /no Kafka install found/, JSON.stringify(report.cluster.kafka));
    assert.is(report.cluster.kafka?.read_from, undefined);
  } finally {
    await closed.stop();
  }
});

test('--watch asks again and again until Ctrl-C, then exits with the last verdict', async () => {
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'status', '-i', inventory, '--limit', 'web1', '--watch', '0.2'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const reports = () => out.split('\n').filter((l) => l.startsWith('DOWN  1 host(s)')).length;
  assert.ok(await waitFor(() => reports() >= 2, 60_000), `two reports:\n${out}`);
  child.kill('SIGINT');
  assert.is(await exited, 6, out);
});

test('usage: a --watch that is not a number of seconds, a --limit that matches nothing; exit 1', async () => {
  const watch = await runbook(['status', '-i', inventory, '--watch', '0'], dir);
  assert.is(watch.code, 1, show(watch));
  assert.match(watch.stderr, /--watch 0: expected a number of seconds above 0/);
  const limit = await runbook(['status', '-i', inventory, '--limit', 'nope'], dir);
  assert.is(limit.code, 1, show(limit));
  assert.match(limit.stderr, /nope matches no host of the inventory/);
});

test.run();
