// metadata.version as `kafka-features.sh describe` prints it (fixtures from Kafka 3.9 and 4.1), and
// whether a level reaches a release: what kafka_metadata_version decides from.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMetadataVersion, parseFeatures, parseMetadataVersion, reaches } from '../../src/sdk/kafka-features.js';

const DESCRIBE_41 = [
  'Feature: eligible.leader.replicas.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\tEpoch: 1893',
  'Feature: group.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\tEpoch: 1893',
  'Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\tEpoch: 1893',
  'Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 4.1-IV1\tFinalizedVersionLevel: 3.9-IV0\tEpoch: 1893',
  'Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 0\tEpoch: 1893',
].join('\n');

test('describe: the finalized metadata.version and the highest one the node supports', () => {
  assert.equal(parseFeatures(DESCRIBE_41), { finalized: { major: 3, minor: 9, iv: 0 }, supportedMax: { major: 4, minor: 1, iv: 1 } });
  // Kafka 3.9 prints the same line among fewer features.
  const old = 'Feature: metadata.version\tSupportedMinVersion: 3.0-IV1\tSupportedMaxVersion: 3.9-IV0\tFinalizedVersionLevel: 3.9-IV0\tEpoch: 12';
  assert.equal(parseFeatures(old), { finalized: { major: 3, minor: 9, iv: 0 }, supportedMax: { major: 3, minor: 9, iv: 0 } });
});

test('describe without an answer: nothing read', () => {
  for (const text of ['', 'Error while executing: org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment.']) {
    assert.is(parseFeatures(text), undefined);
  }
});

test('versions: a level, a release, a release with its patch; anything else refused', () => {
  assert.equal(parseMetadataVersion('4.1-IV1'), { major: 4, minor: 1, iv: 1 });
  assert.equal(parseMetadataVersion('4.1'), { major: 4, minor: 1 });
  assert.equal(parseMetadataVersion('4.1.1'), { major: 4, minor: 1 });
  for (const bad of ['4', '4.1-IV', 'latest', '4.1; rm -rf /', '']) assert.is(parseMetadataVersion(bad), undefined, bad);
  assert.is(formatMetadataVersion({ major: 3, minor: 9, iv: 0 }), '3.9-IV0');
  assert.is(formatMetadataVersion({ major: 4, minor: 1 }), '4.1');
});

const reachCases: Array<[string, string, boolean]> = [
  ['3.9-IV0', '4.1', false],
  ['4.1-IV0', '4.1', true],
  ['4.1-IV1', '4.1.1', true],
  ['4.2-IV0', '4.1', true],
  ['4.1-IV0', '4.1-IV1', false],
  ['10.0-IV0', '9.9', true],
  ['3.9-IV0', '3.10', false],
];
for (const [have, want, expected] of reachCases) {
  test(`${have} reaches ${want}: ${expected}`, () => assert.is(reaches(parseMetadataVersion(have)!, parseMetadataVersion(want)!), expected));
}

test.run();
