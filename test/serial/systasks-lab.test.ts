// The system tasks on real lab hosts (Debian 12, systemd as PID 1, sshd, apt through the lab's
// proxy), over the SSH transport and connection pool: apt, apt_repository, java, user, group,
// hostname, systemd_unit, service, ssh_keygen and ssh_exchange; and zookeeper_status, kafka_topic and
// kafka_smoke on a ZooKeeper + two-broker cluster started from the lab mirror's Kafka tarball. One lab of three hosts for the
// whole suite. Each test: --check predicts, apply converges, a second check is in sync, undo
// restores what was there.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { FactsCache } from '../../src/engine/facts.js';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { loadInventory } from '../../src/load/inventory.js';
import type { CheckResult, TaskContext, TaskDefinition, UndoContext } from '../../src/task/types.js';
import { raw } from '../../src/shell/quote.js';
import { hostScript } from '../../src/status/probe.js';
import { HostShell } from '../../src/transport/host.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import apt from '../../tasks/apt.js';
import aptRepository, { dearmor } from '../../tasks/apt_repository.js';
import group from '../../tasks/group.js';
import hostname from '../../tasks/hostname.js';
import java from '../../tasks/java.js';
import reachable from '../../tasks/reachable.js';
import sysctl from '../../tasks/sysctl.js';
import kafkaSmoke from '../../tasks/kafka_smoke.js';
import kafkaTopic from '../../tasks/kafka_topic.js';
import service from '../../tasks/service.js';
import sshExchange from '../../tasks/ssh_exchange.js';
import sshKeygen from '../../tasks/ssh_keygen.js';
import systemdUnit from '../../tasks/systemd_unit.js';
import user from '../../tasks/user.js';
import zookeeperStatus from '../../tasks/zookeeper_status.js';
import { runCheck } from '../../src/task/check.js';

const NAME = 'systasks';
let lab: LabInfo;
let pool: ConnectionPool;
const shells = new Map<string, HostShell>();
const facts = new FactsCache();
const abort = new AbortController();

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
  const inventory = await loadInventory(lab.inventory);
  pool = new ConnectionPool(inventory, { knownHostsFile: lab.knownHosts });
  for (const h of lab.hosts) {
    const opened = await pool.get(h.name);
    shells.set(h.name, new HostShell(opened.transport, opened.loginUser));
  }
});

test.after(async () => {
  await pool?.closeAll();
  await labDown({ name: NAME });
});

const hostNames = () => lab.hosts.map((h) => h.name);
const on = (host: string) => shells.get(host)!;
const varsOf = (host: string) => ({ inventory_hostname: host, ansible_host: lab.hosts.find((h) => h.name === host)!.address });

function ctx<S extends z.ZodType>(task: TaskDefinition<S>, rawArgs: unknown, host: string, checkMode = false): TaskContext<z.output<S>> {
  return {
    args: task.args.parse(rawArgs),
    host,
    vars: varsOf(host),
    shell: on(host),
    checkMode,
    log: () => {},
    facts: () => facts.get(on(host)),
    renderTemplate: () => Promise.reject(new Error('no templates in this suite')),
    peers: () => hostNames().filter((n) => n !== host).map((n) => ({ host: n, vars: varsOf(n), shell: on(n) })),
    controller: { projectDir: process.cwd(), runbookDir: process.cwd(), cacheDir: join(tmpdir(), 'runbook-test-cache'), runId: 'systasks-lab' },
    signal: abort.signal,
  };
}

function undoCtx(host: string): UndoContext {
  return { host, shell: on(host), vars: varsOf(host), log: () => {}, controller: ctx(apt, {}, host).controller, signal: abort.signal };
}

async function sh(host: string, script: string): Promise<string> {
  return (await on(host).transport.exec(script)).stdout.toString().trim();
}

/** check under --check, apply, check again (in sync), as the engine does; returns the undo record. */
async function converge<S extends z.ZodType>(task: TaskDefinition<S>, args: unknown, host: string): Promise<{ dry: CheckResult; undo: unknown; data?: Record<string, unknown> }> {
  const dry = await runCheck(task, ctx(task, args, host, true));
  const real = await runCheck(task, ctx(task, args, host));
  assert.is(real.summary, dry.summary, '--check predicts what apply does');
  if (real.inSync) return { dry, undo: real.undo, data: real.data };
  const applied = await task.apply(ctx(task, args, host), real.observed as never);
  const again = await runCheck(task, ctx(task, args, host));
  assert.ok(again.inSync, `${task.name} on ${host} not in sync after apply: ${again.summary}`);
  const undo = (applied && applied.undo) ?? real.undo;
  return { dry, undo: JSON.parse(JSON.stringify(undo)), data: { ...real.data, ...(applied ? applied.data : {}) } };
}

const undo = <S extends z.ZodType>(task: TaskDefinition<S>, record: unknown, host: string) => task.undo!(undoCtx(host), record as never);

test('sysctl: the file and the running kernel (a net.* parameter, the host\'s own); vm.* is refused with the way out; undo restores both', async () => {
  const host = 'kafka01';
  const file = '/etc/sysctl.d/60-test.conf';
  await sh(host, `printf '# kept\\nnet.core.somaxconn = 512\\n' > ${file}`);
  const before = await sh(host, 'cat /proc/sys/net/core/somaxconn');
  const fileBefore = await sh(host, `cat ${file}`);
  const args = { name: 'net.core.somaxconn', value: 1000, sysctl_file: file };
  const { dry, undo: record } = await converge(sysctl, args, host);
  assert.is(dry.summary, `net.core.somaxconn=1000 in ${file}; running ${before} → 1000`);
  assert.is(await sh(host, 'cat /proc/sys/net/core/somaxconn'), '1000');
  assert.is(await sh(host, `cat ${file}`), '# kept\nnet.core.somaxconn=1000');
  // Someone sets it by hand: only sysctl_set sees it as a change.
  await sh(host, 'echo 900 > /proc/sys/net/core/somaxconn');
  assert.ok((await runCheck(sysctl, ctx(sysctl, args, host))).inSync);
  assert.not.ok((await runCheck(sysctl, ctx(sysctl, { ...args, sysctl_set: true }, host))).inSync);
  await undo(sysctl, record, host);
  assert.is(await sh(host, `cat ${file}`), fileBefore);
  assert.is(await sh(host, 'cat /proc/sys/net/core/somaxconn'), before);
  const refused = await sysctl.apply(ctx(sysctl, { name: 'vm.swappiness', value: 1, sysctl_file: file }, host), { running: '1' }).catch((e: Error & { hint?: string }) => e);
  assert.match(String(refused), /cannot set vm\.swappiness=1 in the running kernel: .*Read-only/);
  assert.match((refused as { hint?: string }).hint ?? '', /reload: false/);
  await sh(host, `rm -f ${file}`);
});

test('reachable: between lab hosts, a port nothing listens on is reachable; an address nobody has is not', async () => {
  const others = lab.hosts.filter((h) => h.name !== 'kafka01').map((h) => h.address);
  assert.ok((await runCheck(reachable, ctx(reachable, { hosts: others, ports: [2181, 9092] }, 'kafka01'))).inSync);
  const nobody = others[0].replace(/\.\d+$/, '.250');
  const err = await runCheck(reachable, ctx(reachable, { hosts: [...others, nobody], ports: [2888], timeout: 2 }, 'kafka01')).catch((e: Error) => e);
  assert.match(String(err), new RegExp(`cannot reach ${nobody.replaceAll('.', '\\.')}:2888 \\((no answer in 2 s|.*[Nn]o route)`));
  assert.not.match(String(err), new RegExp(others[0].replaceAll('.', '\\.')));
});

test('apt: installs a package with its dependencies, journals exactly those, undo removes exactly those', async () => {
  const host = 'kafka01';
  const before = await sh(host, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' | grep ' installed$' | sort");
  // The base image's lists are recent: age them so the cache counts as stale.
  await sh(host, "touch -d '2 hours ago' /var/lib/apt/lists; rm -f /var/lib/apt/periodic/update-success-stamp");
  const cache = await converge(apt, { update_cache: true, cache_valid_time: 3600 }, host);
  assert.match(String(cache.dry.summary), /update the package cache/);
  assert.ok((await runCheck(apt, ctx(apt, { update_cache: true, cache_valid_time: 3600 }, host))).inSync, 'a fresh cache is not updated again');

  const run = await converge(apt, { name: 'jq' }, host);
  assert.match(String(run.dry.summary), /install .*jq/);
  const installed = (run.data!.installed as string[]).map((n) => n.split(':')[0]).sort();
  assert.ok(installed.includes('jq') && installed.includes('libjq1'), `dependencies journaled: ${installed}`);
  assert.equal(((run.dry.undo as { installed: Array<{ name: string }> }).installed.map((p) => p.name)).sort(), installed, '--check predicted the same packages');
  assert.is(await sh(host, 'jq -n 1+1'), '2');
  await undo(apt, run.undo, host);
  const after = await sh(host, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' | grep ' installed$' | sort");
  assert.is(after, before, 'the installed package set is back to what it was');
  assert.is(await sh(host, "dpkg-query -W -f='${db:Status-Status}' jq 2>/dev/null || echo gone"), 'gone', 'purged: dpkg keeps no trace (no config-files state)');
});

test('apt_repository: deb822 file + dearmored keyring on the host, fingerprint checked, undo removes both', async () => {
  const host = 'kafka02';
  const gnupg = mkdtempSync(join(tmpdir(), 'rb-gpg-'));
  let server: Server | undefined;
  try {
    const gpg = (...a: string[]) => execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', ...a]);
    gpg('--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'Repo <repo@example.org>', 'ed25519', 'sign', 'never');
    const armored = gpg('--armor', '--export', 'repo@example.org');
    const fpr = /^fpr:+([0-9A-F]+):/m.exec(gpg('--with-colons', '--list-keys', 'repo@example.org').toString())![1];
    // Served on the lab's bridge address, which the hosts reach (the lab's own network).
    const bridge = new URL(lab.mirrorUrl).hostname;
    server = await new Promise<Server>((resolve) => {
      const s = createServer((_q, res) => res.end(armored)).listen(0, bridge, () => resolve(s));
    });
    const url = `http://${bridge}:${(server.address() as { port: number }).port}/repo.asc`;
    const args = { name: 'rbtest', uris: 'http://deb.example.org/debian', suites: 'stable', components: 'main', key_url: url, key_fingerprint: fpr, update_cache: false };
    await runCheck(aptRepository, ctx(aptRepository, { ...args, key_fingerprint: 'A'.repeat(40) }, host)).then(
      () => assert.unreachable('a wrong fingerprint must fail'),
      (e: Error) => assert.match(e.message, /has fingerprint/),
    );
    const run = await converge(aptRepository, args, host);
    assert.is(await sh(host, 'cat /etc/apt/sources.list.d/rbtest.sources'), `Types: deb\nURIs: http://deb.example.org/debian\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/rbtest.gpg`);
    const sum = await sh(host, 'sha256sum < /etc/apt/keyrings/rbtest.gpg | cut -c1-64');
    assert.is(sum, (await import('node:crypto')).createHash('sha256').update(dearmor(armored)).digest('hex'));
    await undo(aptRepository, run.undo, host);
    assert.is(await sh(host, 'ls /etc/apt/sources.list.d/rbtest.sources /etc/apt/keyrings/rbtest.gpg 2>&1 | grep -c "No such file"'), '2');
  } finally {
    server?.close();
    try { execFileSync('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']); } catch {}
    rmSync(gnupg, { recursive: true, force: true });
  }
});

test('user and group: a system user with its group; hostile home never executes; undo deletes both', async () => {
  const host = 'kafka03';
  const g = await converge(group, { name: 'rbsvc', system: true }, host);
  // No slash inside the hostile part: useradd would make the leading part a parent directory.
  const home = `/home/rb'"$(touch rbpwned)\`touch rbpwned2\``;
  const u = await converge(user, { name: 'rbsvc', system: true, group: 'rbsvc', shell: '/bin/bash', home }, host);
  assert.is(u.dry.summary, 'create system user rbsvc');
  assert.is(await sh(host, 'getent passwd rbsvc | cut -d: -f6,7'), `${home}:/bin/bash`);
  assert.is(await sh(host, `ls -d /home/rb*`), home);
  const changed = await converge(user, { name: 'rbsvc', shell: '/bin/sh' }, host);
  assert.is(changed.dry.summary, 'user rbsvc: shell /bin/bash → /bin/sh');
  await undo(user, changed.undo, host);
  assert.is(await sh(host, 'getent passwd rbsvc | cut -d: -f7'), '/bin/bash');
  await undo(user, u.undo, host);
  await undo(group, g.undo, host);
  assert.is(await sh(host, 'getent passwd rbsvc; getent group rbsvc; ls -d /home/rb* /rbpwned* /root/rbpwned* 2>/dev/null'), '');
});

test('hostname: hostnamectl on systemd hosts, undo restores the old name', async () => {
  const host = 'kafka02';
  const run = await converge(hostname, { name: 'renamed-02' }, host);
  assert.is(run.dry.summary, 'host name kafka02 → renamed-02');
  assert.is(await sh(host, 'hostname; cat /etc/hostname; hostnamectl --static'), 'renamed-02\nrenamed-02\nrenamed-02');
  await undo(hostname, run.undo, host);
  assert.is(await sh(host, 'hostname; cat /etc/hostname'), 'kafka02\nkafka02');
});

const unit = `[Unit]
Description=runbook test service

[Service]
ExecStart=/bin/sleep 100000
Restart=on-abnormal

[Install]
WantedBy=multi-user.target
`;

test('systemd_unit + service: typo refused on the host, unit written and reloaded, started and enabled, undo restores', async () => {
  const host = 'kafka01';
  await runCheck(systemdUnit, ctx(systemdUnit, { name: 'rbtest', content: unit.replace('.target', '.targe') }, host)).then(
    () => assert.unreachable('WantedBy=multi-user.targe must fail'),
    (e: Error) => assert.match(e.message, /multi-user.targe is not a unit name/),
  );
  const written = await converge(systemdUnit, { name: 'rbtest', content: unit }, host);
  assert.is(written.dry.summary, 'create /etc/systemd/system/rbtest.service');
  const dry = await runCheck(service, ctx(service, { name: 'rbtest', state: 'started', enabled: true }, host, true));
  assert.is(dry.summary, 'rbtest: started, enabled');
  const started = await converge(service, { name: 'rbtest', state: 'started', enabled: true }, host);
  assert.is(await sh(host, 'systemctl is-active rbtest; systemctl is-enabled rbtest'), 'active\nenabled');
  const restart = await runCheck(service, ctx(service, { name: 'rbtest', state: 'restarted' }, host));
  assert.is(restart.inSync, false, 'restarted always acts');
  await undo(service, started.undo, host);
  assert.is(await sh(host, 'systemctl is-active rbtest; systemctl is-enabled rbtest'), 'inactive\ndisabled');
  await undo(systemdUnit, written.undo, host);
  assert.is(await sh(host, 'test -e /etc/systemd/system/rbtest.service || echo gone; systemctl show -p LoadState --value rbtest'), 'gone\nnot-found');
  await runCheck(service, ctx(service, { name: 'rbtest', state: 'started' }, host)).then(
    () => assert.unreachable('a missing unit fails outside --check'),
    (e: Error) => assert.match(e.message, /no unit rbtest/),
  );
});

test('ssh_keygen + ssh_exchange: ssh between every pair of hosts by name and address, no prompt; undo removes the lines', async () => {
  const hosts = hostNames();
  const made = new Map<string, { user: unknown; key: unknown }>();
  for (const h of hosts) {
    const u = await converge(user, { name: 'rbssh', shell: '/bin/sh' }, h);
    const k = await converge(sshKeygen, { path: '/home/rbssh/.ssh/id_rsa', type: 'rsa', bits: 2048, owner: 'rbssh' }, h);
    assert.match(String(k.data!.public_key), /^ssh-rsa /);
    made.set(h, { user: u.undo, key: k.undo });
  }
  const dry = await runCheck(sshExchange, ctx(sshExchange, { user: 'rbssh', path: '/home/rbssh/.ssh/id_rsa' }, 'kafka01', true));
  assert.match(String(dry.summary), /authorized_keys: add 3 lines; .*known_hosts: add \d+ lines/);
  const exchanged = new Map<string, unknown>();
  for (const h of hosts) exchanged.set(h, (await converge(sshExchange, { user: 'rbssh', path: '/home/rbssh/.ssh/id_rsa' }, h)).undo);
  for (const from of hosts) {
    for (const to of lab.hosts) {
      const byName = await sh(from, `su rbssh -c 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o HostKeyAlias=${to.name} ${to.address} hostname' 2>&1`);
      assert.is(byName, to.name, `ssh ${to.name} from ${from}`);
      const byAddress = await sh(from, `su rbssh -c 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes ${to.address} hostname' 2>&1`);
      assert.is(byAddress, to.name, `ssh ${to.address} from ${from}`);
    }
    assert.is(await sh(from, `su rbssh -c 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes localhost hostname' 2>&1`), from);
  }
  for (const h of hosts) {
    await undo(sshExchange, exchanged.get(h), h);
    assert.is(await sh(h, 'ls -A /home/rbssh/.ssh'), 'id_rsa\nid_rsa.pub', 'only the key pair is left');
    await undo(sshKeygen, made.get(h)!.key, h);
    await undo(user, made.get(h)!.user, h);
    assert.is(await sh(h, 'getent passwd rbssh; ls -d /home/rbssh 2>/dev/null'), '');
  }
});

test('java: Debian OpenJDK 17 (the lab has no route to Corretto), JAVA_HOME and version; undo removes it all', async () => {
  const host = 'kafka03';
  const before = await sh(host, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' | grep ' installed$' | sort");
  const run = await converge(java, { distribution: 'openjdk', version: 17, package: 'openjdk-17-jre-headless' }, host);
  assert.match(String(run.dry.summary), /install .*openjdk-17-jre-headless.*set JAVA_HOME in \/etc\/profile.d\/java.sh/);
  assert.match(String(run.data!.java_home), /^\/usr\/lib\/jvm\/java-17-openjdk-/);
  assert.match(String(run.data!.version), /^17\./);
  assert.is(await sh(host, `bash -lc 'echo "$JAVA_HOME"'`), run.data!.java_home, 'login shells get JAVA_HOME');
  assert.ok((await sh(host, `bash -lc 'java -version 2>&1'`)).includes(`version "${run.data!.version}"`));
  await undo(java, run.undo, host);
  assert.is(await sh(host, 'test -e /etc/profile.d/java.sh || echo gone'), 'gone');
  assert.is(await sh(host, "dpkg-query -W -f='${Package} ${db:Status-Status}\\n' | grep ' installed$' | sort"), before);
});

test('kafka on two lab hosts: zookeeper_status, kafka_topic with full ISR, kafka_smoke consumed on the other host', async () => {
  const [k1, k2] = lab.hosts;
  const tarball = `${lab.mirrorUrl}/kafka/3.5.1/kafka_2.13-3.5.1.tgz`;
  for (const [i, h] of [k1, k2].entries()) {
    await converge(java, { distribution: 'openjdk', version: 17, package: 'openjdk-17-jre-headless' }, h.name);
    const zookeeper = i === 0
      ? `KAFKA_HEAP_OPTS=-Xmx256m /opt/kafka/bin/zookeeper-server-start.sh -daemon /opt/kafka/config/zookeeper.properties
for n in $(seq 60); do bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181' 2>/dev/null && break; sleep 1; done`
      : ':';
    const out = await on(h.name).run(
      raw(`set -e
curl -fsS ${tarball} | tar xz -C /opt && ln -sfn /opt/kafka_2.13-3.5.1 /opt/kafka
printf '%s\\n' broker.id=${i + 1} listeners=PLAINTEXT://0.0.0.0:9092 advertised.listeners=PLAINTEXT://${h.address}:9092 \\
  log.dirs=/var/tmp/kafka-logs zookeeper.connect=${k1.address}:2181/rbtest offsets.topic.replication.factor=1 \\
  group.initial.rebalance.delay.ms=0 > /opt/kafka/config/rb-server.properties
${zookeeper}
KAFKA_HEAP_OPTS='-Xmx384m -Xms384m' /opt/kafka/bin/kafka-server-start.sh -daemon /opt/kafka/config/rb-server.properties
echo started`),
    );
    assert.match(out.stdout, /started/);
  }
  for (const h of [k1, k2]) {
    await on(h.name).run(raw(`for n in $(seq 120); do bash -c 'exec 3<>/dev/tcp/127.0.0.1/9092' 2>/dev/null && exit 0; sleep 1; done; exit 1`));
  }
  const zk = await runCheck(zookeeperStatus, ctx(zookeeperStatus, { expect_mode: 'standalone' }, k1.name));
  assert.is(zk.data!.mode, 'standalone');
  assert.is(zk.inSync, true);

  const topic = { name: 'test', partitions: 3, replication_factor: 2, bootstrap_server: [`${k1.address}:9092`, `${k2.address}:9092`], kafka_home: '/opt/kafka', require_full_isr: true };
  let created: unknown;
  // Brokers may still be registering (a runbook uses retries/delay here): a generous deadline,
  // not a count of attempts, since a busy CI machine can take minutes.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      created = (await converge(kafkaTopic, topic, k1.name)).undo;
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const described = await runCheck(kafkaTopic, ctx(kafkaTopic, topic, k1.name));
  assert.is(described.inSync, true);
  const partitions = described.data!.partitions as Array<{ leader: number; replicas: number[]; isr: number[] }>;
  assert.is(partitions.length, 3);
  assert.ok(partitions.every((p) => p.replicas.length === 2 && p.isr.length === 2), JSON.stringify(partitions));

  const smokeArgs = { topic: 'test', messages: 100, bootstrap_server: `${k1.address}:9092`, consumer_host: k2.name, consumer_bootstrap_server: `${k2.address}:9092`, kafka_home: '/opt/kafka' };
  const smoke = (await kafkaSmoke.apply(ctx(kafkaSmoke, smokeArgs, k1.name), undefined))!;
  assert.equal({ ...smoke.data, token: undefined }, { token: undefined, produced: 100, consumed: 100, consumer_host: k2.name });
  assert.is(smoke.changed, false);

  await undo(kafkaTopic, created, k1.name);
  assert.is((await runCheck(kafkaTopic, ctx(kafkaTopic, topic, k1.name))).data!.exists, false);
});

test("status probe: the config file a service's command line names is read as the service's user, never as root", async () => {
  const shell = shells.get('kafka03')!;
  // Two services run as nobody, each naming a config file: one only root may read, one anyone may.
  await shell.run(raw(`set -e
printf 'listeners=PLAINTEXT://leaked-secret:1\\n' > /root/rbprobe-secret.properties; chmod 600 /root/rbprobe-secret.properties
mkdir -p /srv/rbprobe; printf 'listeners=PLAINTEXT://readable:2\\n' > /srv/rbprobe/open.properties; chmod 644 /srv/rbprobe/open.properties
systemd-run --quiet --unit=kafka-rbsecret --uid=nobody --gid=nogroup /bin/sh -c 'sleep infinity' sh /root/rbprobe-secret.properties
systemd-run --quiet --unit=kafka-rbopen --uid=nobody --gid=nogroup /bin/sh -c 'sleep infinity' sh /srv/rbprobe/open.properties`));
  try {
    const probe = async (unit: string) => (await shell.run(hostScript({ name: 'kafka03', kafka: { unit, configFallback: '/nonexistent' } }))).stdout;
    const open = await probe('kafka-rbopen');
    assert.match(open, /readable:2/, 'the probe reads the file the service names');
    const secret = await probe('kafka-rbsecret');
    assert.match(secret, /active=active/);
    assert.not.match(secret, /leaked-secret/);
  } finally {
    await shell.run(raw('systemctl stop kafka-rbsecret kafka-rbopen; rm -rf /root/rbprobe-secret.properties /srv/rbprobe'), { check: false });
  }
});

test('java from a tarball: download (sha256) + extract + JAVA_HOME; undo removes all three', async () => {
  const host = 'kafka03';
  // A stand-in JDK (no route to a real one): the layout and `java -version` output of one.
  const dir = mkdtempSync(join(tmpdir(), 'rb-jdk-'));
  let server: Server | undefined;
  try {
    mkdirSync(join(dir, 'jdk-11.0.99+9', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'jdk-11.0.99+9', 'bin', 'java'), `#!/bin/sh\necho 'openjdk version "11.0.99" 2030-01-01' >&2\n`, { mode: 0o755 });
    execFileSync('tar', ['czf', join(dir, 'jdk.tar.gz'), '-C', dir, 'jdk-11.0.99+9']);
    const bytes = readFileSync(join(dir, 'jdk.tar.gz'));
    const bridge = new URL(lab.mirrorUrl).hostname;
    server = await new Promise<Server>((resolve) => {
      const s = createServer((_q, res) => res.end(bytes)).listen(0, bridge, () => resolve(s));
    });
    const url = `http://${bridge}:${(server.address() as { port: number }).port}/jdk-11.0.99_linux-x64.tar.gz`;
    const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const args = { distribution: 'tarball', version: 11, url, checksum, dest: '/opt/jdk-11' };
    const run = await converge(java, args, host);
    assert.match(String(run.dry.summary), /extract the JDK into \/opt\/jdk-11; set JAVA_HOME/);
    assert.equal({ home: run.data!.java_home, version: run.data!.version }, { home: '/opt/jdk-11', version: '11.0.99' });
    assert.is(await sh(host, `bash -lc 'echo "$JAVA_HOME"; command -v java'`), '/opt/jdk-11\n/opt/jdk-11/bin/java');
    await undo(java, run.undo, host);
    assert.is(await sh(host, 'ls -d /opt/jdk-11 /opt/jdk-11.0.99_linux-x64.tar.gz /etc/profile.d/java.sh 2>/dev/null'), '');
  } finally {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
