// kafka_unregister on this machine, against a stand-in kafka-cluster.sh that keeps the cluster's
// registrations in a file and prints them as Kafka 4's list-endpoints does (or, as 3.9's, has no
// list-endpoints). Kafka's real tool unregisters a real broker in test/serial/kraft.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaUnregister from '../../tasks/kafka_unregister.js';
import { parseRegistrations } from '../../tasks/kafka/registrations.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, context, converge, tempDir, undo } from '../helpers/task-harness.js';

test.after(cleanup);

/** A Kafka home whose kafka-cluster.sh lists and unregisters the brokers of `home/registered` (`id state` lines). */
function kafkaHome(registered: string, options: { version: 3 | 4 } = { version: 4 }): string {
  const home = tempDir('runbook-kafka-home-');
  mkdirSync(join(home, 'bin'));
  writeFileSync(join(home, 'registered'), registered);
  writeFileSync(join(home, 'bin/kafka-topics.sh'), '#!/bin/sh\n');
  writeFileSync(
    join(home, 'bin/kafka-cluster.sh'),
    `#!/bin/sh
reg="$(dirname "$0")/../registered"
case "$1" in
list-endpoints)
  [ ${options.version} = 4 ] || { echo "usage: kafka-cluster [-h] {cluster-id,unregister} ..."; echo "kafka-cluster: error: invalid choice: 'list-endpoints' (choose from 'cluster-id', 'unregister')"; exit 1; }
  [ "$2" = --bootstrap-server ] && [ "$4" = --include-fenced-brokers ] || { echo "unexpected: $*" >&2; exit 2; }
  printf '%-10s %-9s %-10s %-10s %-10s %-15s\\n' ID HOST PORT RACK STATE ENDPOINT_TYPE
  while read -r id state; do printf '%-10s %-9s %-10s %-10s %-10s %-15s\\n' "$id" "kafka0$id" 9092 null "$state" broker; done < "$reg" ;;
unregister)
  [ "$4" = --id ] || { echo "unexpected: $*" >&2; exit 2; }
  grep -q "^$5 " "$reg" || { echo "Error while unregistering broker: org.apache.kafka.common.errors.BrokerIdNotRegisteredException: Broker ID $5 is not currently registered"; exit 1; }
  grep -v "^$5 " "$reg" > "$reg.new"; mv "$reg.new" "$reg" ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(join(home, 'bin/kafka-cluster.sh'), 0o755);
  chmodSync(join(home, 'bin/kafka-topics.sh'), 0o755);
  return home;
}

const args = (home: string, brokers: unknown = '4,5') => ({ brokers, bootstrap_server: 'kafka01:9092,kafka02:9092', kafka_home: home });
const registered = (home: string) => readFileSync(join(home, 'registered'), 'utf8');

test("list-endpoints: every broker with its state; 3.9's tool has none; an error is the tool's own line", () => {
  const table = 'ID         HOST      PORT       RACK       STATE      ENDPOINT_TYPE  \n1          kafka01   9092       null       unfenced   broker         \n4          kafka04   9092       null       fenced     broker         \n';
  assert.equal(parseRegistrations(table, 0), [{ id: 1, fenced: false }, { id: 4, fenced: true }]);
  assert.is(parseRegistrations("kafka-cluster: error: invalid choice: 'list-endpoints' (choose from 'cluster-id', 'unregister')\n", 1), undefined);
  assert.throws(() => parseRegistrations('[2026-11-30] WARN x\norg.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment.\n', 1), /TimeoutException: Timed out/);
});

test('unregisters the stopped brokers still registered, once; undo leaves Kafka to the broker starting again', async () => {
  const home = kafkaHome('1 unfenced\n2 unfenced\n4 fenced\n');
  const dry = await check(kafkaUnregister, args(home), { checkMode: true });
  assert.is(dry.inSync, false);
  assert.is(dry.summary, 'unregister broker(s) 4 (stopped, still registered)');
  assert.is(registered(home), '1 unfenced\n2 unfenced\n4 fenced\n', '--check changes nothing');
  const run = await converge(kafkaUnregister, args(home));
  assert.is(registered(home), '1 unfenced\n2 unfenced\n');
  assert.equal(run.undo, { brokers: [4] });
  const again = await check(kafkaUnregister, args(home));
  assert.is(again.summary, 'broker(s) 4, 5 not registered');
  await undo(kafkaUnregister, run.undo);
  assert.is(registered(home), '1 unfenced\n2 unfenced\n');
});

test('a broker still running is refused, and nothing is unregistered', async () => {
  const home = kafkaHome('1 unfenced\n4 fenced\n5 unfenced\n');
  const e = await caught(check(kafkaUnregister, args(home)));
  assert.match(e.message, /broker\(s\) 5 still running \(unfenced\)/);
  assert.is(registered(home), '1 unfenced\n4 fenced\n5 unfenced\n');
});

test('Kafka 3.9 (no listing): --check would unregister every broker named; one Kafka no longer knows counts as done, unchanged', async () => {
  const home = kafkaHome('1 unfenced\n4 fenced\n', { version: 3 });
  const dry = await check(kafkaUnregister, args(home, [4]), { checkMode: true });
  assert.is(dry.summary, 'unregister broker(s) 4 where Kafka still knows them (Kafka 3.9 cannot list stopped brokers)');
  const ctx = context(kafkaUnregister, args(home, [4]));
  assert.is(await kafkaUnregister.apply(ctx, dry.observed as never), undefined);
  assert.is(registered(home), '1 unfenced\n');
  assert.equal(await kafkaUnregister.apply(ctx, dry.observed as never), { changed: false });
});

test.run();
