// kafka_topic on this machine, against a stand-in kafka-topics.sh that keeps each topic's shape in
// a file and describes it as Kafka's tool does (--topic a regular expression, a missing topic an
// error). Kafka's real tool creates topics in every lab suite (the smoke test, the rolls).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaTopic from '../../tasks/kafka_topic.js';
import type { TaskError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, converge, lifecycle, tempDir, undo } from '../helpers/task-harness.js';

test.after(cleanup);

/**
 * A Kafka home whose kafka-topics.sh keeps `topics/<name>` ("partitions replication-factor").
 * `down` makes it time out as an unreachable cluster does; `lagging` leaves replicas out of the ISR.
 */
function kafkaHome(topics: Record<string, string> = {}): string {
  const home = tempDir('runbook-kafka-home-');
  mkdirSync(join(home, 'bin'));
  mkdirSync(join(home, 'topics'));
  for (const [name, shape] of Object.entries(topics)) writeFileSync(join(home, 'topics', name), `${shape}\n`);
  writeFileSync(
    join(home, 'bin/kafka-topics.sh'),
    `#!/bin/sh
home="$(dirname "$0")/.."; dir="$home/topics"
[ -f "$home/down" ] && { echo "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics"; echo "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: listTopics"; exit 1; }
action= topic= parts=1 rf=1 lenient=
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) shift ;;
    --create|--delete|--describe) action=$1 ;;
    --topic) shift; topic=$1 ;;
    --partitions) shift; parts=$1 ;;
    --replication-factor) shift; rf=$1 ;;
    --if-exists|--if-not-exists) lenient=1 ;;
    *) echo "unexpected: $1" >&2; exit 2 ;;
  esac
  shift
done
case $action in
--create)
  if [ -f "$dir/$topic" ]; then [ -n "$lenient" ] && exit 0; echo "Error while executing topic command : Topic '$topic' already exists."; exit 1; fi
  echo "$parts $rf" > "$dir/$topic"; echo "Created topic $topic." ;;
--delete)
  if [ ! -f "$dir/$topic" ]; then [ -n "$lenient" ] && exit 0; echo "Error while executing topic command : Topic '$topic' does not exist as expected"; exit 1; fi
  rm "$dir/$topic" ;;
--describe)
  found=
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    printf '%s\\n' "$name" | grep -Eqx -- "$topic" || continue
    found=1
    read -r p r < "$f"
    printf 'Topic: %s\\tTopicId: AAAAAAAAAAAAAAAAAAAAAA\\tPartitionCount: %s\\tReplicationFactor: %s\\tConfigs: \\n' "$name" "$p" "$r"
    i=0
    while [ "$i" -lt "$p" ]; do
      replicas=$(seq -s, 1 "$r"); isr=$replicas
      [ -f "$home/lagging" ] && isr=1
      printf '\\tTopic: %s\\tPartition: %s\\tLeader: 1\\tReplicas: %s\\tIsr: %s\\n' "$name" "$i" "$replicas" "$isr"
      i=$((i + 1))
    done
  done
  [ -n "$found" ] || { echo "Error while executing topic command : Topic '$topic' does not exist as expected"; exit 1; } ;;
esac
`,
  );
  chmodSync(join(home, 'bin/kafka-topics.sh'), 0o755);
  return home;
}

const args = (home: string, more: Record<string, unknown> = {}) => ({ name: 'orders', partitions: 3, replication_factor: 2, bootstrap_server: ['kafka01:9092', 'kafka02:9092'], kafka_home: home, ...more });
const shape = (home: string, name: string) => (existsSync(join(home, 'topics', name)) ? readFileSync(join(home, 'topics', name), 'utf8').trim() : 'absent');

test('created once, with its shape; --check predicts it; a second run is in sync; undo deletes it', async () => {
  const home = kafkaHome();
  const { check: dry } = await lifecycle(kafkaTopic, args(home), { root: home });
  assert.is(dry.summary, 'create topic orders (3 partitions, replication factor 2)');
  assert.equal(dry.data, { exists: false });
  const run = await converge(kafkaTopic, args(home));
  assert.is(shape(home, 'orders'), '3 2');
  assert.equal(run.apply?.data, {
    exists: true,
    partition_count: 3,
    replication_factor: 2,
    partitions: [0, 1, 2].map((partition) => ({ partition, leader: 1, replicas: [1, 2], isr: [1, 2] })),
  });
  const again = await check(kafkaTopic, args(home));
  assert.is(again.inSync, true);
});

test('--topic is a regular expression to Kafka: a topic whose name only matches it is not taken for the one named', async () => {
  const home = kafkaHome({ orderxs: '1 1' });
  const dry = await check(kafkaTopic, args(home, { name: 'order.s' }), { checkMode: true });
  assert.is(dry.inSync, false);
  assert.is(dry.summary, 'create topic order.s (3 partitions, replication factor 2)');
});

test('an existing topic of another shape is refused, with both shapes and what to do, and left alone', async () => {
  const home = kafkaHome({ orders: '6 3' });
  const e = await caught(check(kafkaTopic, args(home)));
  assert.is(e.message, 'topic orders exists with 6 partitions and replication factor 3, not 3 and 2');
  assert.match(String((e as TaskError).hint), /does not alter topics/);
  assert.is(shape(home, 'orders'), '6 3');
});

test('state absent: deleted; undo re-creates it with the shape it had', async () => {
  const home = kafkaHome({ orders: '6 3' });
  const dry = await check(kafkaTopic, args(home, { state: 'absent' }), { checkMode: true });
  assert.is(dry.summary, 'delete topic orders');
  const run = await converge(kafkaTopic, args(home, { state: 'absent' }));
  assert.is(shape(home, 'orders'), 'absent');
  await undo(kafkaTopic, JSON.parse(JSON.stringify(run.undo)));
  assert.is(shape(home, 'orders'), '6 3');
  assert.is((await check(kafkaTopic, args(home, { state: 'absent' }))).summary, 'delete topic orders');
});

test('require_full_isr: a partition with a replica out of its ISR fails the step, naming it', async () => {
  const home = kafkaHome({ orders: '3 2' });
  writeFileSync(join(home, 'lagging'), '');
  assert.is((await check(kafkaTopic, args(home))).inSync, true, 'without it, the shape is all that counts');
  const e = await caught(check(kafkaTopic, args(home, { require_full_isr: true })));
  assert.match(e.message, /^topic orders is not fully in sync: /);
  assert.match(e.message, /partition 0: replicas 2 not in sync \(isr 1\)/);
});

test('an unreachable cluster is an error naming the bootstrap servers and the tool\'s last line, not a topic to create', async () => {
  const home = kafkaHome();
  writeFileSync(join(home, 'down'), '');
  const e = await caught(check(kafkaTopic, args(home)));
  assert.is(e.message, 'cannot reach Kafka at kafka01:9092,kafka02:9092: org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: listTopics');
});

test.run();
