// kafka_smoke on this machine, against stand-in console tools: the producer appends what it reads
// to a file per topic (or, told to, loses every other message), the consumer prints that file from
// the beginning and then waits for more, as Kafka's does. Kafka's real tools run the smoke test in
// every lab suite that installs a cluster.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaSmoke, { countArrived } from '../../tasks/kafka_smoke.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, context, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

/** A Kafka home whose console tools keep topic `t` in `topics/t`; `lossy` drops every other message. */
function kafkaHome(options: { lossy?: boolean; earlier?: string } = {}): string {
  const home = tempDir('runbook-kafka-home-');
  mkdirSync(join(home, 'bin'));
  mkdirSync(join(home, 'topics'));
  writeFileSync(join(home, 'topics', 'test'), options.earlier ?? '');
  const topicOf = `topic=; while [ $# -gt 0 ]; do [ "$1" = --topic ] && topic=$2; shift; done; f="$(dirname "$0")/../topics/$topic"; [ -f "$f" ] || { echo "UNKNOWN_TOPIC_OR_PARTITION" >&2; exit 1; }`;
  writeFileSync(join(home, 'bin/kafka-topics.sh'), '#!/bin/sh\n');
  writeFileSync(join(home, 'bin/kafka-console-producer.sh'), `#!/bin/sh\n${topicOf}\n${options.lossy ? "awk 'NR % 2'" : 'cat'} >> "$f"\n`);
  // From the beginning, then wait for more until killed (the step stops it once all arrived).
  writeFileSync(join(home, 'bin/kafka-console-consumer.sh'), `#!/bin/sh\n${topicOf}\ncat "$f"\nexec sleep 60\n`);
  for (const tool of ['kafka-topics.sh', 'kafka-console-producer.sh', 'kafka-console-consumer.sh']) chmodSync(join(home, 'bin', tool), 0o755);
  return home;
}

const args = (home: string, more: Record<string, unknown> = {}) => ({ topic: 'test', messages: 10, kafka_home: home, timeout: 10, ...more });
const smoke = (home: string, more: Record<string, unknown> = {}) => kafkaSmoke.apply(context(kafkaSmoke, args(home, more)), undefined);

test('--check says what it would do and that producing is no read; it produces nothing', async () => {
  const home = kafkaHome();
  const r = await check(kafkaSmoke, args(home), { checkMode: true });
  assert.is(r.summary, 'produce 10 messages to test, consume them on local');
  assert.ok(r.unknowableInCheck);
  assert.is(readFileSync(join(home, 'topics', 'test'), 'utf8'), '');
});

test('every message produced arrives: ok (nothing anyone relies on changed), with what went through registered', async () => {
  const home = kafkaHome();
  const tmp = tempDir('runbook-smoke-tmp-');
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const r = await smoke(home);
    assert.is(r?.changed, false);
    const data = r?.data as { token: string; produced: number; consumed: number; consumer_host: string };
    assert.match(data.token, /^runbook-smoke-[0-9a-f-]{36}$/);
    assert.equal([data.produced, data.consumed, data.consumer_host], [10, 10, 'local']);
    assert.is(readFileSync(join(home, 'topics', 'test'), 'utf8').split('\n').filter(Boolean).length, 10);
    assert.equal(readdirSync(tmp), [], "the consumer's private directory is gone");
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
});

test("messages of an earlier run in the topic do not count for this one's", async () => {
  const earlier = Array.from({ length: 10 }, (_, i) => `runbook-smoke-00000000-0000-0000-0000-000000000000-${i + 1}\n`).join('');
  const home = kafkaHome({ lossy: true, earlier });
  const e = await caught(smoke(home));
  assert.is(e.message, 'only 5 of 10 messages produced on local arrived at the consumer on local within 10s');
});

test('countArrived: distinct lines of this token only', () => {
  assert.is(countArrived('t-1\nt-2\nt-2\nx-3\nt-\nother t-4\n', 't'), 3);
});

test('a consumer host that is not in the play is refused before anything is produced', async () => {
  const home = kafkaHome();
  const e = await caught(check(kafkaSmoke, args(home, { consumer_host: 'kafka09' })));
  assert.is(e.message, 'consumer_host kafka09 is not a host of this play');
});

test.run();
