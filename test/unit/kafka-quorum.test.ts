// The KRaft quorum as `kafka-metadata-quorum.sh describe --replication` prints it (fixtures from
// Kafka 3.9), and what a controller's rolling restart decides from it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQuorumReplication, quorumGate, quorumNotBack } from '../../src/sdk/kafka-quorum.js';

const HEADER = 'NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t';
const row = (id: number, lag: number, status: string) => `${id}  \tuBjJ7mCPTyaK3Y6m-3_sQw\t${1200 - lag}        \t${lag}  \t1764479952000     \t1764479952000        \t${status}\t`;
const output = (...rows: string[]) => [HEADER, ...rows].join('\n');

test('voters with their lag and the leader; observers (brokers) left out; columns found by name', () => {
  const q = parseQuorumReplication(output(row(3002, 0, 'Leader'), row(3001, 0, 'Follower'), row(3003, 5, 'Follower'), row(1, 0, 'Observer')));
  assert.equal(q, { leader: 3002, voters: [{ id: 3002, lag: 0, status: 'Leader' }, { id: 3001, lag: 0, status: 'Follower' }, { id: 3003, lag: 5, status: 'Follower' }] });
  // Kafka 3.6 and older print no DirectoryId column.
  const old = parseQuorumReplication('NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n1\t10\t0\t1\t1\tLeader\n2\t8\t2\t1\t1\tFollower');
  assert.equal(old, { leader: 1, voters: [{ id: 1, lag: 0, status: 'Leader' }, { id: 2, lag: 2, status: 'Follower' }] });
});

test('an error or no answer is a quorum without a leader', () => {
  for (const text of ['', 'Error while executing: org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment.']) {
    assert.equal(parseQuorumReplication(text), { voters: [] });
  }
});

const gateCases: Array<[string, string, string | undefined]> = [
  ['every other voter caught up', output(row(3002, 0, 'Leader'), row(3001, 0, 'Follower'), row(3003, 0, 'Follower')), undefined],
  ['this one behind does not matter: it is the one going down', output(row(3002, 0, 'Leader'), row(3001, 9, 'Follower'), row(3003, 0, 'Follower')), undefined],
  ['another voter behind', output(row(3002, 0, 'Leader'), row(3001, 0, 'Follower'), row(3003, 7, 'Follower')), 'controllers behind the leader: 3003 (lag 7)'],
  ['another voter missing', output(row(3002, 0, 'Leader'), row(3001, 0, 'Follower')), 'controllers 3003 are not in the quorum'],
  ['no leader', output(row(3001, 0, 'Follower')), 'the quorum has no leader'],
];
for (const [name, text, why] of gateCases) {
  test(`gate for 3001: ${name}`, () => assert.is(quorumGate(parseQuorumReplication(text), 3001, [3001, 3002, 3003]), why));
}

test('back: a voter again, caught up, under a leader', () => {
  const back = (text: string) => quorumNotBack(parseQuorumReplication(text), 3001);
  assert.is(back(output(row(3002, 0, 'Leader'), row(3001, 0, 'Follower'))), undefined);
  assert.is(back(output(row(3002, 0, 'Leader'), row(3001, 40, 'Follower'))), 'controller 3001 is 40 records behind the leader');
  assert.is(back(output(row(3002, 0, 'Leader'))), 'controller 3001 is not in the quorum yet');
  assert.is(back(''), 'the quorum has no leader');
});

test.run();
