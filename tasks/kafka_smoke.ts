// kafka_smoke: proves a cluster end to end. N messages carrying a token unique to this run are
// produced from the host the step runs on and consumed from the beginning on another host; the
// step fails unless all N arrive. It changes nothing anyone relies on (a few test messages), so it
// reports ok; under --check it is skipped, since producing is not read-only. The consumer is
// stopped as soon as all N arrived, else after `timeout` (or 15 s without a message).

import { randomUUID } from 'node:crypto';
import { defineTask, z, sh, TaskError, bootstrapArg, bootstrapList, findKafka, kafkaHomeArg, privateTempDir, topicName, type HostShell } from 'runbook';

const args = z.strictObject({
  topic: topicName.describe('The topic to produce to and consume from (it must exist).'),
  messages: z.coerce.number().int().positive().max(100000).default(10).describe('How many messages to produce and expect back.'),
  bootstrap_server: bootstrapArg.default('localhost:9092').describe('The producer\'s bootstrap servers (default the broker on the producing host).'),
  consumer_host: z.string().min(1).optional().describe('Inventory name of the host that consumes (default: another host sharing a group with this one).'),
  consumer_bootstrap_server: bootstrapArg.default('localhost:9092').describe('The consumer\'s bootstrap servers (default: the broker on the consuming host).'),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh).'),
  timeout: z.coerce.number().int().positive().default(120).describe('Seconds the consumer may take, overall.'),
});

/** The distinct lines of consumer output that carry the token. */
export function countArrived(out: string, token: string): number {
  return new Set(out.split('\n').filter((l) => l.startsWith(`${token}-`))).size;
}

type Peer = { host: string; vars: Record<string, unknown>; shell: HostShell };

/** The consumer: the named host, else the first peer that shares a group (not all/ungrouped) with this host. */
export function pickConsumer(peers: ReadonlyArray<Peer>, named: string | undefined, myGroups: unknown): Peer | undefined {
  if (named !== undefined) return peers.find((p) => p.host === named);
  const mine = Array.isArray(myGroups) ? myGroups.filter((g) => g !== 'all' && g !== 'ungrouped') : [];
  return peers.find((p) => Array.isArray(p.vars.group_names) && p.vars.group_names.some((g) => mine.includes(g))) ?? peers[0];
}

export default defineTask<typeof args, undefined, undefined>({
  name: 'kafka_smoke',
  description: 'Produce N messages on one host and consume them all from the beginning on another',
  doc: `The cluster smoke test of the manual (console producer on kafka01, console consumer
\`--from-beginning\` on kafka02): produces \`messages\` lines (default 10) carrying a token unique
to this run to \`topic\` with \`kafka-console-producer.sh\` on the host the step runs on (acks=all),
then runs \`kafka-console-consumer.sh --from-beginning\` on \`consumer_host\` (reached through the
runbook's connection to it; default: another host sharing a group with this one) until all of them
arrived or \`timeout\` seconds passed. Fails unless every message arrived. Reports ok (it changes
nothing that matters); skipped under \`--check\`. \`register\` gets \`token\`, \`produced\`,
\`consumed\`, \`consumer_host\`. The topic should exist (\`kafka_topic\`).

\`\`\`yaml
- name: Produce on the first broker, consume from the beginning on the second
  hosts: kafka
  run_once: true
  become: true
  become_user: kafka
  kafka_smoke:
    topic: test
    messages: 100
\`\`\``,
  args,
  async check(ctx) {
    const consumer = pickConsumer(ctx.peers(), ctx.args.consumer_host, ctx.vars.group_names);
    if (ctx.args.consumer_host !== undefined && ctx.args.consumer_host !== ctx.host && !consumer) {
      throw new TaskError(`consumer_host ${ctx.args.consumer_host} is not a host of this play`);
    }
    const on = ctx.args.consumer_host === ctx.host ? ctx.host : (consumer?.host ?? ctx.host);
    return { inSync: false, unknowableInCheck: 'producing test messages is not read-only', summary: `produce ${ctx.args.messages} messages to ${ctx.args.topic}, consume them on ${on}` };
  },
  async apply(ctx) {
    const { topic, messages, kafka_home: home, timeout } = ctx.args;
    const peer = ctx.args.consumer_host === ctx.host ? undefined : pickConsumer(ctx.peers(), ctx.args.consumer_host, ctx.vars.group_names);
    const consumerShell = peer?.shell ?? ctx.shell;
    const token = `runbook-smoke-${randomUUID()}`;
    const lines = Array.from({ length: messages }, (_, i) => `${token}-${i + 1}\n`).join('');
    ctx.log(`producing ${messages} messages to ${topic}`);
    await ctx.shell.run(
      sh`${findKafka(home)}
"$k/bin/kafka-console-producer.sh" --bootstrap-server ${bootstrapList(ctx.args.bootstrap_server)} --topic ${topic} --producer-property acks=all >&2`,
      { stdin: lines },
    );
    ctx.log(`consuming on ${peer?.host ?? ctx.host}`);
    const r = await consumerShell.run(
      sh`${findKafka(home)}
${privateTempDir('d')}
mkfifo "$d/out"
timeout ${timeout} "$k/bin/kafka-console-consumer.sh" --bootstrap-server ${bootstrapList(ctx.args.consumer_bootstrap_server)} --topic ${topic} --from-beginning --timeout-ms 15000 > "$d/out" 2>/dev/null &
c=$!
grep -F -m ${messages} -- ${token} < "$d/out"
kill $c 2>/dev/null; wait $c 2>/dev/null; exit 0`,
      { check: false },
    );
    const consumed = countArrived(r.stdout, token);
    const data = { token, produced: messages, consumed, consumer_host: peer?.host ?? ctx.host };
    if (consumed < messages) {
      throw new TaskError(`only ${consumed} of ${messages} messages produced on ${ctx.host} arrived at the consumer on ${data.consumer_host} within ${timeout}s`, {
        hint: 'check the brokers (kafka_topic with require_full_isr), advertised.listeners and /etc/hosts',
      });
    }
    return { changed: false, data };
  },
});
