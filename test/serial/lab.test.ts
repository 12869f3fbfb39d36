// The lab on this machine, for real: hosts boot systemd and sshd, strict host key checking works,
// apt goes through the lab's proxy, the artifact mirror serves what it says, and `lab down`
// leaves nothing behind. Needs Linux and root (as CI runs it).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { labUp, labDown, labStatus, labSshArgs, type LabInfo } from '../../src/lab/index.js';
import { loadState } from '../../src/lab/state.js';
import { ARTIFACTS_DIR } from '../../src/lab/paths.js';
import { isAlive } from '../../src/lab/process.js';

const NAME = 'labtest';
let lab: LabInfo;

function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr });
    });
  });
}

async function onHost(host: string, command: string): Promise<string> {
  const r = await sh('ssh', await labSshArgs(host, [command], NAME));
  assert.is(r.code, 0, `ssh ${host} ${command}: ${r.stderr}`);
  return r.stdout.trim();
}

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
});

test.after(async () => {
  await labDown({ name: NAME });
});

test('lab up: three hosts, each reachable by ssh with strict host key checking', async () => {
  assert.equal(
    lab.hosts.map((h) => h.name),
    ['kafka01', 'kafka02', 'kafka03'],
  );
  for (const h of lab.hosts) {
    assert.is(await onHost(h.name, 'hostname'), h.name);
    assert.match(await onHost(h.name, 'systemctl is-system-running || true'), /^(running|degraded)$/);
  }
  // Strictness is real: the same key against an empty known_hosts is refused.
  const dir = await mkdtemp(join(tmpdir(), 'labtest-'));
  try {
    await writeFile(join(dir, 'known_hosts'), '');
    const r = await sh('ssh', [
      '-i', lab.privateKey, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o', 'StrictHostKeyChecking=yes', '--', `root@${lab.hosts[0].address}`, 'true',
    ]);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /Host key verification failed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('each host has its own host key, and the sudo user ops logs in with the lab key', async () => {
  const known = (await readFile(lab.knownHosts, 'utf8')).trim().split('\n');
  assert.is(known.length, 3);
  assert.is(new Set(known.map((l) => l.split(' ')[2])).size, 3);
  const h = lab.hosts[1];
  const r = await sh('ssh', [
    '-i', lab.privateKey, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${lab.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes', '--', `ops@${h.address}`, 'whoami; sudo -n whoami',
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'ops\nroot');
});

test('the inventory is Ansible YAML with the hosts, groups, key and known_hosts', async () => {
  const inv = parse(await readFile(lab.inventory, 'utf8'));
  assert.is(inv.all.vars.known_hosts_file, lab.knownHosts);
  assert.is(inv.all.vars.lab_mirror_url, lab.mirrorUrl);
  assert.equal(inv.all.vars.mirror, [lab.mirrorUrl]);
  assert.is(inv.all.vars.java_package, 'openjdk-17-jre-headless');
  assert.equal(Object.keys(inv.all.hosts), ['kafka01', 'kafka02', 'kafka03']);
  assert.is(inv.all.hosts.kafka02.ansible_host, lab.hosts[1].address);
  assert.is(inv.all.hosts.kafka02.ansible_ssh_private_key_file, lab.privateKey);
  assert.is(inv.all.hosts.kafka03.myid, 3);
  assert.is(inv.all.hosts.kafka03.broker_id, 3);
  assert.equal(Object.keys(inv.all.children.kafka.hosts), ['kafka01', 'kafka02', 'kafka03']);
  assert.equal(Object.keys(inv.all.children.zookeeper.hosts), ['kafka01', 'kafka02', 'kafka03']);
});

test('hostnamectl set-hostname works inside a host', async () => {
  await onHost('kafka03', 'hostnamectl set-hostname renamed-host');
  assert.is(await onHost('kafka03', 'hostname'), 'renamed-host');
  assert.is(await onHost('kafka03', 'cat /etc/hostname'), 'renamed-host');
});

test('a new host\'s package index is dated as old, so its first play updates it whatever the base\'s age', async () => {
  // The base may be 59 minutes old: a play's cache_valid_time of an hour must not skip the update.
  assert.is(await onHost('kafka01', 'stat -c %Y /var/lib/apt/lists'), '0');
});

test('apt-get install works inside a host through the lab proxy, and nothing else is reachable', async () => {
  await onHost('kafka02', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tree >/dev/null 2>&1');
  assert.match(await onHost('kafka02', 'tree --version'), /tree v/);
  // Hosts route nowhere but their own subnet: the controller's services are all they reach.
  assert.is(await onHost('kafka02', 'ip -4 route show'), `${lab.hosts[0].address.replace(/\.\d+$/, '.0')}/24 dev eth0 proto kernel scope link src ${lab.hosts[1].address}`);
});

test('curl on a lab host fetches the Kafka tarball from the mirror and its sha512 matches', async () => {
  const url = `${lab.mirrorUrl}/kafka/3.5.1/kafka_2.13-3.5.1.tgz`;
  const out = await onHost('kafka01', `cd /tmp && curl -fsS -O ${url} && curl -fsS -O ${url}.sha512 && sha512sum -c kafka_2.13-3.5.1.tgz.sha512`);
  assert.is(out, 'kafka_2.13-3.5.1.tgz: OK');
  const expected = (await readFile(join(ARTIFACTS_DIR, 'kafka/3.5.1/kafka_2.13-3.5.1.tgz.sha512'), 'utf8')).split(' ')[0];
  assert.is(await onHost('kafka01', 'sha512sum /tmp/kafka_2.13-3.5.1.tgz | cut -d" " -f1'), expected);
  assert.match(await onHost('kafka01', `curl -fsS ${lab.mirrorUrl}/zookeeper/zookeeper-3.7.1/apache-zookeeper-3.7.1-bin.tar.gz.sha512`), /^[0-9a-f]{128} {2}apache-zookeeper-3\.7\.1-bin\.tar\.gz$/);
});

test('lab status sees every host running', async () => {
  const mine = (await labStatus()).find((l) => l.name === NAME);
  assert.ok(mine);
  assert.ok(mine!.aptProxyRunning && mine!.mirrorRunning);
  for (const h of mine!.hosts) assert.match(h.state, /^(running|degraded)$/);
});

test('lab up again with the same size reuses the lab', async () => {
  const before = await loadState(NAME);
  const again = await labUp({ hosts: 3, name: NAME });
  assert.equal(again, lab);
  assert.equal((await loadState(NAME))!.hosts.map((h) => h.init), before!.hosts.map((h) => h.init));
});

test('lab down leaves nothing mounted, no netns, no bridge, no lab process; a second down is a no-op', async () => {
  const state = (await loadState(NAME))!;
  assert.ok(await labDown({ name: NAME }));
  assert.not.match(await readFile('/proc/mounts', 'utf8'), `/runbook-lab/${NAME}/`);
  assert.not.match((await sh('ip', ['netns', 'list'])).stdout, `rblab-${NAME}-`);
  assert.is((await sh('ip', ['link', 'show', state.bridge])).code !== 0, true);
  for (const h of state.hosts) assert.is((await sh('ip', ['link', 'show', h.veth])).code !== 0, true);
  for (const p of [state.aptProxy, state.mirror, ...state.hosts.flatMap((h) => [h.init, h.launcher])]) {
    assert.not.ok(await isAlive(p!), `process ${p!.pid} still running`);
  }
  assert.not.ok((await sh('find', ['/sys/fs/cgroup', '-name', `runbook-lab-${NAME}-*`])).stdout.trim());
  assert.is(await labDown({ name: NAME }), false);
});

test.run();
