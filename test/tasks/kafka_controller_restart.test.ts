// kafka_controller_restart's check on this machine, against stand-ins for what it reads:
// systemctl (the unit is running), three controllers on loopback answering DescribeQuorum (the
// leader with the voters' log ends, the others: not the leader; test/helpers/fake-broker.ts), and,
// where the host's sshd forwards nothing, a Kafka home whose kafka-metadata-quorum.sh prints a
// captured `describe --replication`. What it decides (restart, not now and why, the leader last)
// is the gate's first look; the restarts themselves, on a real quorum, are test/serial/kraft and
// test/serial/migrate-kraft.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaControllerRestart from '../../tasks/kafka_controller_restart.js';
import { fakeBroker, quorumBody, shellWithoutForwarding } from '../helpers/fake-broker.js';
import { standIn, runningUnits } from '../helpers/stand-ins.js';
import { check, cleanup, tempDir } from '../helpers/task-harness.js';

const root = tempDir('runbook-controller-restart-');
const home = join(root, 'kafka');
const quorum = join(root, 'quorum');

runningUnits(root);
mkdirSync(join(home, 'bin'), { recursive: true });
standIn(join(home, 'bin/kafka-topics.sh'), 'exit 0');
standIn(join(home, 'bin/kafka-metadata-quorum.sh'), `cat ${quorum}`);

/** Each controller's answer: the leader's view of the voters' log ends, or "not leader". */
const answers = new Map<number, Parameters<typeof quorumBody>[0]>();
const controllers = new Map<number, Awaited<ReturnType<typeof fakeBroker>>>();
for (const id of [4, 5, 6]) controllers.set(id, await fakeBroker({ describeQuorum: () => quorumBody(answers.get(id) ?? 'not leader') }));
/** The quorum led by `leader`, each voter `lag` records behind it (all caught up unless given). */
function quorumLedBy(leader: number, lags: Record<number, number> = {}, voters = [4, 5, 6]): void {
  answers.clear();
  answers.set(leader, { leader, voters: voters.map((id) => ({ id, logEnd: 1200 - (lags[id] ?? 0) })), observers: [{ id: 1, logEnd: 1200 }] });
}

test.after(async () => {
  for (const c of controllers.values()) await c.close();
  cleanup();
});

// As Kafka 3.9 prints it.
const HEADER = 'NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t';
const row = (id: number, lag: number, status: string) => `${id}  \tuBjJ7mCPTyaK3Y6m-3_sQw\t${1200 - lag}        \t${lag}  \t1764479952000     \t1764479952000        \t${status}\t`;
const replication = (...rows: string[]) => writeFileSync(quorum, [HEADER, ...rows, ''].join('\n'));

const args = { node_id: 4, voters: '4,5,6', bootstrap_controller: [...controllers.values()].map((c) => `127.0.0.1:${c.port}`), kafka_home: home, service: 'rbtest-controller' };

test('the other voters caught up: the controller may restart, and --check says the same (the leader, asked last, answers)', async () => {
  quorumLedBy(6);
  for (const checkMode of [false, true]) {
    const c = await check(kafkaControllerRestart, args, { checkMode });
    assert.is(c.inSync, false);
    assert.is(c.summary, 'restart rbtest-controller (leader 6, voters 4 (lag 0), 5 (lag 0), 6 (lag 0))');
  }
});

test('another voter behind, or missing, or no leader: not now, saying which', async () => {
  quorumLedBy(5, { 6: 12 });
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: controllers behind the leader: 6 (lag 12)');
  quorumLedBy(5, {}, [4, 5]);
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: controllers 6 are not in the quorum');
  answers.clear();
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: the quorum has no leader');
});

test('skip_leader leaves the leader to its own step; the leader step under --check leaves the followers', async () => {
  quorumLedBy(4);
  assert.is((await check(kafkaControllerRestart, { ...args, skip_leader: true })).summary, 'the quorum leader: restarted last, by a step of its own');
  quorumLedBy(5);
  assert.is((await check(kafkaControllerRestart, { ...args, leader_step: true }, { checkMode: true })).summary, 'a follower: restarted by the step before');
});


test("where the host's sshd forwards nothing, kafka-metadata-quorum.sh is asked: its columns read by their header", async () => {
  const shell = shellWithoutForwarding();
  replication(row(5, 0, 'Leader'), row(4, 0, 'Follower'), row(6, 12, 'Follower'));
  assert.is((await check(kafkaControllerRestart, args, { shell })).summary, 'restart rbtest-controller, but not now: controllers behind the leader: 6 (lag 12)');
  writeFileSync(quorum, 'org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment.\n');
  assert.is((await check(kafkaControllerRestart, args, { shell })).summary, 'restart rbtest-controller, but not now: the quorum has no leader');
});

test.run();
