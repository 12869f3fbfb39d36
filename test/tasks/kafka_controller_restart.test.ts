// kafka_controller_restart's check on this machine, against stand-ins for what it reads:
// systemctl (the unit is running) and a Kafka home whose kafka-metadata-quorum.sh prints a
// captured `describe --replication`. What it decides (restart, not now and why, the leader last)
// is the gate's first look; the restarts themselves, on a real quorum, are test/serial/kraft.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaControllerRestart from '../../tasks/kafka_controller_restart.js';
import { standIn, runningUnits } from '../helpers/stand-ins.js';
import { check, cleanup, tempDir } from '../helpers/task-harness.js';

const root = tempDir('runbook-controller-restart-');
const home = join(root, 'kafka');
const quorum = join(root, 'quorum');

runningUnits(root);
mkdirSync(join(home, 'bin'), { recursive: true });
standIn(join(home, 'bin/kafka-topics.sh'), 'exit 0');
standIn(join(home, 'bin/kafka-metadata-quorum.sh'), `cat ${quorum}`);

test.after(cleanup);

// As Kafka 3.9 prints it.
const HEADER = 'NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t';
const row = (id: number, lag: number, status: string) => `${id}  \tuBjJ7mCPTyaK3Y6m-3_sQw\t${1200 - lag}        \t${lag}  \t1764479952000     \t1764479952000        \t${status}\t`;
const replication = (...rows: string[]) => writeFileSync(quorum, [HEADER, ...rows, ''].join('\n'));

const args = { node_id: 4, voters: '4,5,6', bootstrap_controller: 'kafka04:9093,kafka05:9093,kafka06:9093', kafka_home: home, service: 'rbtest-controller' };

test('the other voters caught up: the controller may restart, and --check says the same', async () => {
  replication(row(5, 0, 'Leader'), row(4, 0, 'Follower'), row(6, 0, 'Follower'));
  for (const checkMode of [false, true]) {
    const c = await check(kafkaControllerRestart, args, { checkMode });
    assert.is(c.inSync, false);
    assert.is(c.summary, 'restart rbtest-controller (leader 5, voters 5 (lag 0), 4 (lag 0), 6 (lag 0))');
  }
});

test('another voter behind, or missing, or no leader: not now, saying which', async () => {
  replication(row(5, 0, 'Leader'), row(4, 0, 'Follower'), row(6, 12, 'Follower'));
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: controllers behind the leader: 6 (lag 12)');
  replication(row(5, 0, 'Leader'), row(4, 0, 'Follower'));
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: controllers 6 are not in the quorum');
  writeFileSync(quorum, 'org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment.\n');
  assert.is((await check(kafkaControllerRestart, args)).summary, 'restart rbtest-controller, but not now: the quorum has no leader');
});

test('skip_leader leaves the leader to its own step; the leader step under --check leaves the followers', async () => {
  replication(row(4, 0, 'Leader'), row(5, 0, 'Follower'), row(6, 0, 'Follower'));
  assert.is((await check(kafkaControllerRestart, { ...args, skip_leader: true })).summary, 'the quorum leader: restarted last, by a step of its own');
  replication(row(5, 0, 'Leader'), row(4, 0, 'Follower'), row(6, 0, 'Follower'));
  assert.is((await check(kafkaControllerRestart, { ...args, leader_step: true }, { checkMode: true })).summary, 'a follower: restarted by the step before');
});

test.run();
