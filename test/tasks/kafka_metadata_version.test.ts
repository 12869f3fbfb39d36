// kafka_metadata_version on this machine, against a stand-in kafka-features.sh that keeps the
// cluster's finalized metadata.version and the highest level its nodes support in a file, and
// answers describe and upgrade --metadata as Kafka 4.1's tool does. Kafka's real tool raises a
// real cluster's level in test/serial/migrate-kraft.test.ts (the upgrade to 4.1.1).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaMetadataVersion from '../../tasks/kafka_metadata_version.js';
import type { TaskError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, converge, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

/** A Kafka home whose kafka-features.sh reads and writes `features` ("finalized supported-max"). */
function kafkaHome(finalized: string, supportedMax: string): string {
  const home = tempDir('runbook-kafka-home-');
  mkdirSync(join(home, 'bin'));
  writeFileSync(join(home, 'features'), `${finalized} ${supportedMax}\n`);
  writeFileSync(join(home, 'bin/kafka-topics.sh'), '#!/bin/sh\n');
  writeFileSync(
    join(home, 'bin/kafka-features.sh'),
    `#!/bin/sh
f="$(dirname "$0")/../features"
read -r finalized max < "$f"
[ "$1" = --bootstrap-server ] || { echo "unexpected: $*" >&2; exit 2; }
case "$3" in
describe)
  printf 'Feature: kraft.version\\tSupportedMinVersion: 0\\tSupportedMaxVersion: 1\\tFinalizedVersionLevel: 0\\tEpoch: 7\\n'
  printf 'Feature: metadata.version\\tSupportedMinVersion: 3.3-IV3\\tSupportedMaxVersion: %s\\tFinalizedVersionLevel: %s\\tEpoch: 7\\n' "$max" "$finalized" ;;
upgrade)
  [ "$4" = --metadata ] || { echo "unexpected: $*" >&2; exit 2; }
  # A release (4.1) means its latest level: the highest the nodes support, when it is that release's.
  case "$5" in *-IV*) level=$5 ;; *) case "$max" in "$5"-IV*) level=$max ;; *) level=none ;; esac ;; esac
  if [ "$level" = none ] || [ "$(printf '%s\\n%s\\n' "$level" "$max" | sort -V | tail -n 1)" != "$max" ]; then
    echo "Could not upgrade metadata.version to $5. Invalid update version: the controller does not support it"
    exit 1
  fi
  echo "$level $max" > "$f"
  echo "metadata.version was upgraded to $level." ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(join(home, 'bin/kafka-features.sh'), 0o755);
  chmodSync(join(home, 'bin/kafka-topics.sh'), 0o755);
  return home;
}

const args = (home: string, version = '4.1.1') => ({ version, bootstrap_server: ['kafka01:9092', 'kafka02:9092'], kafka_home: home });
const features = (home: string) => readFileSync(join(home, 'features'), 'utf8').trim();

test("raised to the release's latest level once every node supports it; a second run is in sync; no undo (Kafka cannot lower it)", async () => {
  const home = kafkaHome('3.9-IV0', '4.1-IV1');
  const dry = await check(kafkaMetadataVersion, args(home), { checkMode: true });
  assert.is(dry.summary, 'raise metadata.version from 3.9-IV0 to 4.1');
  assert.is(features(home), '3.9-IV0 4.1-IV1', '--check changes nothing');
  await converge(kafkaMetadataVersion, args(home));
  assert.is(features(home), '4.1-IV1 4.1-IV1');
  assert.is((await check(kafkaMetadataVersion, args(home))).summary, 'metadata.version is 4.1-IV1');
  assert.is(kafkaMetadataVersion.undo, undefined);
});

test('a cluster at the level or beyond is left alone', async () => {
  for (const version of ['4.1', '4.0.0', '4.1-IV0', '3.9-IV0']) {
    const r = await check(kafkaMetadataVersion, args(kafkaHome('4.1-IV1', '4.1-IV1'), version));
    assert.equal([version, r.inSync, r.summary], [version, true, 'metadata.version is 4.1-IV1']);
  }
});

test('a node still on the old release: --check says not now and why; a run fails with Kafka\'s words and what to do', async () => {
  const home = kafkaHome('3.9-IV0', '3.9-IV0');
  const dry = await check(kafkaMetadataVersion, args(home), { checkMode: true });
  assert.is(dry.summary, 'raise metadata.version from 3.9-IV0 to 4.1, but not now: the broker that answered supports at most 3.9-IV0 (move every node to the new release first)');
  const e = await caught(converge(kafkaMetadataVersion, args(home)));
  assert.match(e.message, /^kafka-features\.sh upgrade --metadata 4\.1 failed \(exit 1\): Could not upgrade metadata\.version to 4\.1\. Invalid update version/);
  assert.match(String((e as TaskError).hint), /move the others first/);
  assert.is(features(home), '3.9-IV0 3.9-IV0');
});

test('a version that is neither a release nor a level is refused by the schema', () => {
  for (const version of ['latest', '4', '4.1-IV', '4.1; reboot']) assert.not.ok(kafkaMetadataVersion.args.safeParse({ version, bootstrap_server: 'kafka01:9092' }).success, version);
});

test.run();
