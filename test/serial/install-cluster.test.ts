// install-cluster end to end, on three fresh lab hosts with real ZooKeeper and Kafka, through the
// built CLI (as a user runs it): a first run that fails at the download while the artifact mirror
// is down, resumed once it is back; then no-op converges (play and the --check drift check), a
// hand-edited server.properties that the drift check finds (exit 3) and --diff shows and play
// restores by restarting only that broker, one step checked alone (--step 'Write zoo.cfg'),
// --confirm driven in a pseudo-terminal (apply one fix, skip another, quit at the restart, then
// resume), the rollback of the whole first run, and a fresh converge on the rolled-back hosts. The
// first run's reports (runs show --html, looked at in Chromium; --junit). Then `runbook status` on
// that cluster: healthy and right (against srvr and kafka-topics.sh asked separately), one broker
// stopped (degraded, its page looked at in Chromium), two ZooKeeper members stopped (down), and
// healthy again; and two operators on one host (the host lock and history). Needs Linux and root
// (as CI runs it) and a build (dist/).
import { test } from 'uvu';
import { exec, show, type Result } from '../helpers/exec.js';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labSshArgs, labUp, type LabInfo } from '../../src/lab/index.js';
import { labDir } from '../../src/lab/paths.js';
import { startMirror } from '../../src/lab/services.js';
import { loadState, saveState } from '../../src/lab/state.js';
import type { StatusReport } from '../../src/status/report.js';
import { HEALTH_COLOUR } from '../../src/status/html.js';
import { colourBands, colourShare, screenshot } from '../helpers/chromium.js';
import { OUTCOME_COLOUR } from '../../src/ui/run-html.js';
import { waitFor } from '../helpers/wait.js';
import { inPty } from '../helpers/pty.js';
import { RUNS } from '../helpers/project.js';

const NAME = 'e2e';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const HOSTS = ['kafka01', 'kafka02', 'kafka03'];

let lab: LabInfo;
/** Wall-clock seconds of each CLI run, printed at the end (bench/RESULTS.md quotes them). */
const timings: Record<string, number> = {};

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings[label] = (Date.now() - started) / 1000;
  }
}
/** The first run: failed at the download, then resumed to the end; rolled back last. */
let firstRun: string;



/** Node warnings any CLI run printed (a MaxListenersExceededWarning means a leaked listener). */
const nodeWarnings: string[] = [];

async function runbook(...args: string[]): Promise<Result> {
  const r = await exec(process.execPath, [CLI, ...args]);
  nodeWarnings.push(...r.stderr.split('\n').filter((l) => /\(node:\d+\) \w*Warning/.test(l)));
  return r;
}

function play(...flags: string[]): Promise<Result> {
  // The lab's inventory carries the lab override itself (mirror, OpenJDK): played as a user would.
  return runbook('play', 'install-cluster', '-i', lab.inventory, ...flags);
}

async function onHost(host: string, command: string): Promise<string> {
  const r = await exec('ssh', await labSshArgs(host, [command], NAME));
  assert.is(r.code, 0, `ssh ${host} ${command}: ${r.stderr}`);
  return r.stdout.trim();
}

/** `changed=N` per host from the PLAY RECAP. */
function changedPerHost(output: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of output.matchAll(/^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

function runIdOf(output: string): string {
  const m = /runbook resume (\S+)/.exec(output) ?? /\brun (\d{8}T\d{6}Z-\w+)/.exec(output);
  assert.ok(m, `no run id in:\n${output}`);
  return m![1];
}

type JournalEvent = { type: string; host?: string; stepId?: string; status?: string };

async function journal(runId: string): Promise<JournalEvent[]> {
  const text = await readFile(join(RUNS, runId, 'journal.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEvent);
}

/** host/step pairs that ran (ok or changed) both before and after the journal's resume marker. */
function rerun(events: JournalEvent[]): string[] {
  const resumedAt = events.findIndex((e) => e.type === 'resume');
  assert.ok(resumedAt > 0, 'no resume marker in the journal');
  const ran = (e: JournalEvent) => e.type === 'host-result' && (e.status === 'ok' || e.status === 'changed');
  const before = new Set(events.slice(0, resumedAt).filter(ran).map((e) => `${e.host} ${e.stepId}`));
  assert.ok(before.size > 0, 'nothing ran before the failure');
  return events.slice(resumedAt).filter(ran).map((e) => `${e.host} ${e.stepId}`).filter((k) => before.has(k));
}

const brokerStarted = (host: string) => onHost(host, 'systemctl show -p ActiveEnterTimestampMonotonic --value kafka.service');

/** This suite's files on this machine (pages, an operator's project), removed with the lab. */
let scratch: string;

test.before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'runbook-install-cluster-'));
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 3, name: NAME });
});

test.after(async () => {
  await rm(scratch, { recursive: true, force: true });
  await labDown({ name: NAME });
  console.log(`timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
});

test('mirror down: the first run fails at the download step with a clear error', async () => {
  const state = (await loadState(NAME))!;
  process.kill(state.mirror!.pid, 'SIGTERM');
  const r = await timed('first run to the failed download', () => play());
  const output = r.stdout + r.stderr;
  assert.is.not(r.code, 0, output);
  assert.match(output, /failed: \[kafka0\d\] Download the ZooKeeper release/);
  assert.match(output, new RegExp(lab.mirrorUrl.replace(/[.:/]/g, '\\$&')));
  // Nothing after the download ran.
  assert.not.match(output, /Extract the ZooKeeper release/);
  firstRun = runIdOf(output);
});

test('mirror back: resume completes without re-running finished steps, and the smoke test passes', async () => {
  const state = (await loadState(NAME))!;
  const mirror = await startMirror(labDir(NAME), state.bridgeAddress);
  await saveState({ ...state, mirror });
  const r = await timed('resume to the end', () => runbook('resume', firstRun));
  const output = r.stdout + r.stderr;
  assert.is(r.code, 0, output);
  // base, java and the first service-user step were done before the failure: not run again.
  assert.not.match(output, /(ok|changed): \[kafka0\d\] (Update the package index|Install Java)/);
  assert.equal(rerun(await journal(firstRun)), [], 'steps done before the failure ran again');
  assert.match(output, /changed: \[kafka0\d\] Download the ZooKeeper release/);
  assert.match(output, /ok: \[kafka0\d\] Check the ensemble has exactly one leader and the rest followers/);
  assert.match(output, /ok: \[kafka0\d\] Check every broker id is registered under the chroot znode/);
  assert.match(output, /ok: \[kafka0\d\] Produce on the first broker, consume from the beginning on the second/);
  for (const host of HOSTS) {
    assert.is(await onHost(host, 'systemctl is-active zookeeper kafka | sort -u'), 'active');
    assert.is(await onHost(host, 'ps -o user= -C java | sort -u'), 'kafka');
  }
});

test('runs show --html of that run: a timeline with a row of bars per host, in Chromium; --junit valid', async () => {
  const dir = await mkdtemp(join(scratch, 'run-page-'));
  const [html, junit] = [join(dir, 'run.html'), join(dir, 'run.xml')];
  const r = await runbook('runs', 'show', firstRun, '--html', html, '--junit', junit);
  assert.is(r.code, 0, show(r));
  const png = join(dir, 'run.png');
  await screenshot(html, png, 1200, 700);
  const bands = colourBands(png, [OUTCOME_COLOUR.ok, OUTCOME_COLOUR.changed, OUTCOME_COLOUR.failed, OUTCOME_COLOUR.skipped], 15);
  assert.is(bands.length, HOSTS.length, JSON.stringify(bands));
  const page = await readFile(html, 'utf8');
  assert.match(page, /<h1>install-cluster: ok<\/h1>/);
  assert.match(page, /2 attempt\(s\), 3 host\(s\)/);
  const valid = await exec('xmllint', ['--noout', '--schema', join(ROOT, 'test/fixtures/junit.xsd'), junit]);
  assert.is(valid.code, 0, show(valid));
  // The download that failed on the first attempt passed on the second: the report says passed.
  assert.match(await readFile(junit, 'utf8'), /<testsuites name="install-cluster \(run \S+\)" tests="\d+" failures="0" errors="0"/);
});

test('a client on this machine produces and consumes through the addresses the brokers advertise (kcat)', async () => {
  const brokers = lab.hosts.map((h) => `${h.address}:9092`).join(',');
  await onHost('kafka01', `. /etc/profile.d/java.sh; LOG_DIR=/tmp /home/kafka/kafka/bin/kafka-topics.sh --bootstrap-server kafka01:9092 --create --topic kcat --partitions 3 --replication-factor 3`);
  const lines = join(await mkdtemp(join(scratch, 'kcat-')), 'lines');
  const sent = ['one', 'two', 'three'].map((w) => `${w}-${process.pid}`);
  await writeFile(lines, sent.join('\n') + '\n');
  const produce = await exec('kcat', ['-b', brokers, '-P', '-t', 'kcat', '-l', lines]);
  assert.is(produce.code, 0, show(produce));
  const consume = await exec('kcat', ['-b', brokers, '-C', '-t', 'kcat', '-o', 'beginning', '-c', '3', '-e', '-q']);
  assert.is(consume.code, 0, show(consume));
  assert.equal(consume.stdout.trim().split('\n').sort(), [...sent].sort());
});

test('play again: 0 changed; --check: 0 would change, and the drift check (--detailed-exitcode) exits 0', async () => {
  const again = await timed('no-op play', () => play());
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.equal(changedPerHost(again.stdout), { kafka01: 0, kafka02: 0, kafka03: 0 }, again.stdout);
  const check = await timed('no-op --check', () => play('--check', '--detailed-exitcode'));
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.equal(changedPerHost(check.stdout), { kafka01: 0, kafka02: 0, kafka03: 0 }, check.stdout);
});

test('a hand-edited server.properties: the drift check exits 3 and --diff shows exactly it; play restores it and restarts only that broker', async () => {
  const conf = '/home/kafka/kafka/config/server.properties';
  await onHost('kafka02', `sed -i 's/^num.partitions=3$/num.partitions=5/' ${conf}`);
  const before = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await brokerStarted(h)])));

  // As the README's cron line runs it.
  const check = await play('--check', '--diff', '--detailed-exitcode');
  assert.is(check.code, 3, check.stdout + check.stderr);
  assert.match(check.stdout, /^changed: \[kafka02\] Write server\.properties \(/m);
  // The file, and the restart its handler would do (gated: --check reads the gate too).
  assert.equal(changedPerHost(check.stdout), { kafka01: 0, kafka02: 2, kafka03: 0 }, check.stdout);
  const diffLines = check.stdout.split('\n').filter((l) => /^[-+](?![-+])/.test(l));
  assert.equal(diffLines, ['-num.partitions=5', '+num.partitions=3']);
  assert.match(await onHost('kafka02', `grep ^num.partitions= ${conf}`), 'num.partitions=5');

  const fix = await timed('play restoring one file (one broker restarted)', () => play());
  assert.is(fix.code, 0, fix.stdout + fix.stderr);
  assert.match(fix.stdout, /changed: \[kafka02\] Restart Kafka and wait until the broker is back in every ISR/);
  assert.not.match(fix.stdout, /changed: \[kafka0[13]\] Restart/);
  assert.is(await onHost('kafka02', `grep ^num.partitions= ${conf}`), 'num.partitions=3');
  assert.is.not(await brokerStarted('kafka02'), before.kafka02);
  assert.is(await brokerStarted('kafka01'), before.kafka01);
  assert.is(await brokerStarted('kafka03'), before.kafka03);
});

test("--step 'Write zoo.cfg' --check --diff: that step alone on every host, and the restart it would notify", async () => {
  const cfg = '/home/kafka/zookeeper/conf/zoo.cfg';
  await onHost('kafka03', `sed -i 's/^initLimit=10$/initLimit=11/' ${cfg}`);
  try {
    const check = await play('--step', 'Write zoo.cfg', '--check', '--diff', '--detailed-exitcode');
    assert.is(check.code, 3, check.stdout + check.stderr);
    const results = check.stdout.split('\n').filter((l) => /^(ok|changed|skipping|failed): /.test(l));
    const [step, handler] = [results.filter((l) => / Write zoo\.cfg \(/.test(l)), results.filter((l) => !/ Write zoo\.cfg \(/.test(l))];
    // Hosts report as they finish: in any order.
    const byHost = (l: string) => /\[(\w+)\]/.exec(l)![1];
    assert.equal(step.map((l) => l.replace(/ \(.*$/, '')).sort((a, b) => byHost(a).localeCompare(byHost(b))), ['ok: [kafka01] Write zoo.cfg', 'ok: [kafka02] Write zoo.cfg', 'changed: [kafka03] Write zoo.cfg'], check.stdout);
    // The handler's two steps (followers, then the leader) on the notified host alone: one would restart it.
    assert.ok(handler.every((l) => /^(ok|changed): \[kafka03\] Restart ZooKeeper and wait until it rejoins the ensemble/.test(l)), check.stdout);
    assert.is(handler.filter((l) => l.startsWith('changed: ')).length, 1, check.stdout);
    assert.equal(check.stdout.split('\n').filter((l) => /^[-+](?![-+])/.test(l)), ['-initLimit=11', '+initLimit=10']);
  } finally {
    await onHost('kafka03', `sed -i 's/^initLimit=11$/initLimit=10/' ${cfg}`);
  }
  const clean = await play('--step', 'Write zoo.cfg', '--check', '--detailed-exitcode');
  assert.is(clean.code, 0, clean.stdout + clean.stderr);
});

test('--confirm in a terminal: apply the zoo.cfg fix, skip the server.properties one, quit at the restart; resume goes on from there', async () => {
  const cfg = '/home/kafka/zookeeper/conf/zoo.cfg';
  const props = '/home/kafka/kafka/config/server.properties';
  await onHost('kafka03', `sed -i 's/^initLimit=10$/initLimit=11/' ${cfg}`);
  await onHost('kafka02', `sed -i 's/^num.partitions=3$/num.partitions=5/' ${props}`);
  const zookeeperStarted = () => onHost('kafka03', 'systemctl show -p ActiveEnterTimestampMonotonic --value zookeeper.service');
  const [zkBefore, brokerBefore] = [await zookeeperStarted(), await brokerStarted('kafka02')];
  try {
    const pty = inPty([process.execPath, CLI, 'play', 'install-cluster', '-i', lab.inventory, '--confirm'], ROOT);
    const answers: Record<string, string> = { 'Write zoo.cfg': 'y\n', 'Write server.properties': 'n\n', 'Restart ZooKeeper': 'q\n' };
    const asked: string[] = [];
    try {
      for (let n = 1; asked.at(-1) !== 'Restart ZooKeeper'; n++) {
        await pty.waitFor(/Apply this step\? \[y\]es/, n, 180_000);
        const question = [...pty.screen().matchAll(/^(?:STEP|HANDLER) \[([^\]]*)\]/gm)].at(-1)![1];
        const which = Object.keys(answers).find((name) => question.startsWith(name));
        assert.ok(which, `asked about "${question}", which changes nothing here:\n${pty.screen()}`);
        asked.push(which!);
        pty.type(answers[which!]);
      }
      assert.is(await pty.exited, 99, pty.screen());
    } finally {
      pty.kill();
    }
    assert.equal(asked, ['Write zoo.cfg', 'Write server.properties', 'Restart ZooKeeper']);
    const screen = pty.screen();
    assert.match(screen, /would change: \[kafka03\] update \/home\/kafka\/zookeeper\/conf\/zoo\.cfg/);
    assert.match(screen, /^-initLimit=11\n\+initLimit=10$/m);
    assert.match(screen, /in sync: \[kafka01\]/);
    assert.is(await onHost('kafka03', `grep ^initLimit= ${cfg}`), 'initLimit=10');
    assert.is(await onHost('kafka02', `grep ^num.partitions= ${props}`), 'num.partitions=5');
    assert.is(await zookeeperStarted(), zkBefore, 'quit before the restart');

    const resumed = await runbook('resume');
    assert.is(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /changed: \[kafka03\] Restart ZooKeeper and wait until it rejoins the ensemble/);
    assert.is.not(await zookeeperStarted(), zkBefore);
    assert.is(await onHost('kafka02', `grep ^num.partitions= ${props}`), 'num.partitions=5', 'the skipped step is not run again');
    assert.is(await brokerStarted('kafka02'), brokerBefore, 'nor the restart it would have notified');
  } finally {
    await onHost('kafka02', `sed -i 's/^num.partitions=5$/num.partitions=3/' ${props}`);
  }
});

test('rollback of the first run keeps the data Kafka wrote unless forced, then leaves the hosts as it found them', async () => {
  // Kafka wrote topic data into the log.dirs the run created: removing it would lose data, so the
  // rollback refuses it (and, on each host, what is older) until it is told to.
  const careful = await timed('rollback', () => runbook('rollback', firstRun));
  assert.is(careful.code, 2, careful.stdout + careful.stderr);
  for (const host of HOSTS) assert.match(careful.stdout, new RegExp(`${host}: refused to undo "Create the log.dirs directory \\(mkdir -p\\)" \\(file\\): .* added under /var/lib/kafka since the run`));
  assert.match(await onHost('kafka01', 'systemctl is-active kafka || true'), 'inactive', 'what came after the data directory was undone');
  const r = await timed('rollback --force', () => runbook('rollback', firstRun, '--force'));
  assert.is(r.code, 0, r.stdout + r.stderr);
  const facts = async (host: string) => ({
    services: await onHost(host, 'systemctl is-active zookeeper kafka || true'),
    units: await onHost(host, 'test -e /etc/systemd/system/kafka.service || test -e /etc/systemd/system/zookeeper.service && echo left || echo gone'),
    user: await onHost(host, 'id kafka >/dev/null 2>&1 && echo left || echo gone'),
    dirs: await onHost(host, 'test -e /home/kafka || test -e /var/lib/zookeeper || test -e /var/lib/kafka && echo left || echo gone'),
    java: await onHost(host, 'command -v java >/dev/null && echo left || echo gone'),
  });
  const found = Object.fromEntries(await Promise.all(HOSTS.map(async (h) => [h, await facts(h)])));
  const clean = { services: 'inactive\ninactive', units: 'gone', user: 'gone', dirs: 'gone', java: 'gone' };
  assert.equal(found, Object.fromEntries(HOSTS.map((h) => [h, { ...clean }])));
});

test('after the rollback, a fresh play converges again and the smoke test passes', async () => {
  const r = await timed('first converge (after the rollback)', () => play());
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok: \[kafka0\d\] Produce on the first broker, consume from the beginning on the second/);
  assert.equal(nodeWarnings, []);
});

// ---- runbook status on the cluster ----------------------------------------------------------

async function status(...flags: string[]): Promise<{ code: number; report: StatusReport; raw: Result }> {
  const raw = await runbook('status', '-i', lab.inventory, '--json', ...flags);
  assert.ok([0, 5, 6].includes(raw.code), show(raw));
  return { code: raw.code, report: JSON.parse(raw.stdout) as StatusReport, raw };
}

/** Asks until the verdict is `health` (a broker takes a while to leave or rejoin every ISR). */
async function statusUntil(health: StatusReport['health'], ...flags: string[]): Promise<StatusReport> {
  let last: Awaited<ReturnType<typeof status>> | undefined;
  const reached = await waitFor(async () => (last = await status(...flags)).report.health === health, 240_000, 1000);
  assert.ok(reached, `never ${health}; last:\n${JSON.stringify(last?.report.problems, null, 2)}`);
  return last!.report;
}

const kafkaTool = (tool: string, args: string) => `. /etc/profile.d/java.sh; LOG_DIR=/tmp /home/kafka/kafka/bin/${tool} ${args} 2>/dev/null`;

test('status of the converged cluster: healthy, exit 0, and what srvr and kafka-topics.sh say asked separately', async () => {
  const { code, report } = await timed('status (healthy)', () => status());
  assert.is(code, 0, JSON.stringify(report.problems));
  assert.is(report.health, 'healthy');
  assert.equal(report.problems, []);
  for (const host of HOSTS) {
    const facts = report.hosts.find((h) => h.name === host)!;
    const srvr = await onHost(host, `bash -c 'exec 3<>/dev/tcp/${host}/2181; printf srvr >&3; cat <&3'`);
    assert.is(facts.zookeeper?.mode, /^Mode: (\w+)$/m.exec(srvr)?.[1], `${host} mode`);
    assert.is(facts.zookeeper?.version, /^Zookeeper version: ([^-,]+)/m.exec(srvr)?.[1], `${host} ZooKeeper version`);
    const release = await onHost(host, 'basename "$(readlink -f /home/kafka/kafka)"');
    assert.is(`kafka_2.13-${facts.kafka?.version}`, release, `${host} Kafka version`);
    assert.is(facts.kafka?.broker_id, Number(host.slice(-1)));
    assert.is(facts.kafka?.registered, true);
    assert.equal(facts.kafka?.listeners.map((l) => l.reachable), [true]);
    assert.ok(facts.last_run?.runbook === 'install-cluster' && facts.last_run.result === 'ok', JSON.stringify(facts.last_run));
  }
  const leaders = report.hosts.filter((h) => h.zookeeper?.mode === 'leader').map((h) => h.name);
  assert.equal(leaders, [report.cluster.zookeeper?.leader]);
  const describe = await onHost('kafka01', kafkaTool('kafka-topics.sh', '--bootstrap-server kafka01:9092 --describe'));
  assert.is(report.cluster.kafka?.partitions, describe.split('\n').filter((l) => /\tPartition: \d+/.test(l)).length);
  assert.is(report.cluster.kafka?.topics, describe.split('\n').filter((l) => /^Topic: \S+\tTopicId/.test(l)).length);
  const controller = await onHost('kafka01', kafkaTool('zookeeper-shell.sh', "kafka01:2181/gcp-kafka-cluster get /controller | sed -n 's/.*\"brokerid\":\\([0-9]*\\).*/\\1/p'"));
  assert.is(report.cluster.kafka?.active_controller, Number(controller));
  assert.equal(report.hosts.filter((h) => h.kafka?.active_controller).map((h) => h.kafka?.broker_id), [Number(controller)]);
});

test('one broker stopped: degraded (exit 5), naming it and its under-replicated partitions; the page shows it', async () => {
  await onHost('kafka03', 'systemctl stop kafka');
  try {
    await degraded();
  } finally {
    await onHost('kafka03', 'systemctl start kafka');
  }
  await statusUntil('healthy');
});

async function degraded(): Promise<void> {
  const html = join(await mkdtemp(join(scratch, 'status-page-')), 'status.html');
  const report = await statusUntil('degraded', '--html', html);
  const messages = report.problems.map((p) => `${p.host ?? '-'}: ${p.message}`);
  assert.ok(messages.includes('kafka03: kafka is inactive'), messages.join('\n'));
  assert.ok(messages.includes('kafka03: broker 3 is not registered with the cluster'), messages.join('\n'));
  assert.ok(report.cluster.kafka!.under_replicated.length > 0);
  assert.ok(messages.some((m) => m.startsWith(`-: ${report.cluster.kafka!.under_replicated.length} partition(s) under-replicated: `)), messages.join('\n'));
  assert.equal(report.cluster.kafka?.registered, [1, 2]);
  // The text view says the same first.
  const text = await runbook('status', '-i', lab.inventory);
  assert.is(text.code, 5, show(text));
  assert.match(text.stdout, /^DEGRADED {2}3 host\(s\)/);
  // In a browser: the banner is the degraded colour, the partition bar shows in-sync and under-replicated ones.
  const png = html.replace(/\.html$/, '.png');
  await screenshot(html, png);
  assert.ok(colourShare(png, HEALTH_COLOUR.degraded, [0, 60]) > 0.9, 'the banner is amber');
  assert.ok(colourShare(png, HEALTH_COLOUR.down) < 0.001, 'nothing red');
  assert.ok(colourShare(png, HEALTH_COLOUR.degraded, [60, 900]) > 0.003, 'under-replicated partitions in the bar');
  // Only the partitions without broker 3 stay in sync (1 of 53 here): a sliver of the bar, and its legend swatch.
  assert.ok(colourShare(png, HEALTH_COLOUR.healthy, [60, 900]) > 0.0002, 'in-sync partitions in the bar');
}

// ---- two operators on one lab host ------------------------------------------------------------

/** An operator's own project directory with a runbook that holds kafka01 until /tmp/runbook-go exists there. */
async function operatorProject(name: string): Promise<string> {
  const dir = await mkdtemp(join(scratch, `operator-${name}-`));
  await mkdir(join(dir, 'runbooks'));
  await writeFile(
    join(dir, 'runbooks', 'slow.yaml'),
    `name: slow\nsteps:\n  - name: Wait for the go-ahead\n    wait_for: { path: /tmp/runbook-go, timeout: 600, sleep: 0.2 }\n`,
  );
  return dir;
}

/** The CLI as `name` runs it in the project `dir` (over this suite's own project: helpers/project.ts). */
function operator(name: string, dir: string, ...args: string[]): Promise<Result> {
  return exec(process.execPath, [CLI, ...args], dir, { RUNBOOK_OPERATOR: name, RUNBOOK_PROJECT: dir });
}

const lockedOnHost = async () => (await onHost('kafka01', 'test -e /var/lib/runbook/lock/holder.json && echo held || echo free')) === 'held';

test('two operators on kafka01: one plays, the other is refused naming the holder; kill -9, unlock, play; history from a third project lists both', async () => {
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(operatorProject));
  const slow = ['play', 'slow', '-i', lab.inventory, '--limit', 'kafka01'];
  await onHost('kafka01', 'rm -f /tmp/runbook-go');
  const holding = operator('alice', alice, ...slow);
  assert.ok(await waitFor(lockedOnHost, 120_000, 200), 'alice took the lock on kafka01');
  const refused = await operator('bob', bob, ...slow);
  assert.is(refused.code, 1, show(refused));
  assert.match(refused.stderr, /kafka01 is locked by run \S+ of slow \(alice@[^)]+\) since \d{4}-/);
  await onHost('kafka01', 'touch /tmp/runbook-go');
  assert.is((await holding).code, 0);
  const after = await operator('bob', bob, ...slow);
  assert.is(after.code, 0, show(after));

  await onHost('kafka01', 'rm -f /tmp/runbook-go');
  const child = spawn(process.execPath, [CLI, ...slow], { cwd: bob, env: { ...process.env, RUNBOOK_OPERATOR: 'bob', RUNBOOK_PROJECT: bob }, stdio: 'ignore' });
  const gone = new Promise((resolve) => child.on('exit', resolve));
  assert.ok(await waitFor(lockedOnHost, 120_000, 200), 'bob took the lock on kafka01');
  child.kill('SIGKILL');
  await gone;
  const stillLocked = await operator('alice', alice, ...slow);
  assert.is(stillLocked.code, 1, show(stillLocked));
  assert.match(stillLocked.stderr, /locked by run \S+ of slow \(bob@/);
  const unlock = await operator('alice', alice, 'unlock', '-i', lab.inventory, '--host', 'kafka01');
  assert.is(unlock.code, 0, show(unlock));
  assert.match(unlock.stdout, /kafka01: broke the lock of run \S+ of slow \(bob@/);
  await onHost('kafka01', 'touch /tmp/runbook-go');
  const played = await operator('alice', alice, ...slow);
  assert.is(played.code, 0, show(played));

  const listed = await operator('carol', carol, 'history', '-i', lab.inventory, '--limit', 'kafka01');
  assert.is(listed.code, 0, show(listed));
  const rows = listed.stdout.split('\n').filter((l) => l.startsWith('kafka01 ') && / slow /.test(l));
  // Newest first; bob's killed run never finished, so it left no line.
  assert.equal(rows.map((r) => /\s(\w+)@\S+\s+(\w+)/.exec(r)?.slice(1).join(' ')), ['alice ok', 'bob ok', 'alice ok'], listed.stdout);
  assert.match(listed.stdout, /install-cluster/, 'the cluster runs are there too');
});

test('two ZooKeeper members stopped: down (exit 6), no quorum first; healthy again once they are back', async () => {
  for (const host of ['kafka02', 'kafka03']) await onHost(host, 'systemctl stop zookeeper');
  try {
    const { code, report } = await timed('status (down)', () => status());
    assert.is(code, 6, JSON.stringify(report.problems));
    assert.is(report.health, 'down');
    assert.match(report.problems[0].message, /^ZooKeeper has no quorum: [01] of 3 members serve/);
    assert.equal(report.cluster.zookeeper?.quorum, false);
  } finally {
    for (const host of ['kafka02', 'kafka03']) await onHost(host, 'systemctl start zookeeper');
  }
  await statusUntil('healthy');
});

test.run();
