// kafka_topic: a topic with a given partition count and replication factor, via kafka-topics.sh
// on the host the step runs on. Idempotent through --describe: an existing topic with the same
// shape is ok, one with another shape fails (partitions and replicas are not silently altered).

import {
  defineTask, z, sh, raw, TaskError, bootstrapArg, bootstrapList, findKafka, kafkaHomeArg, topicName, isrProblems, parseDescribe,
  type HostShell, type ShellText, type TopicInfo,
} from 'runbook';

const args = z.strictObject({
  name: topicName.describe('The topic\'s name.'),
  partitions: z.coerce.number().int().positive().default(1).describe('Number of partitions; an existing topic with another count is refused (this task never alters a topic).'),
  replication_factor: z.coerce.number().int().positive().default(1).describe('Copies of each partition; at most the number of brokers.'),
  bootstrap_server: bootstrapArg.default('localhost:9092').describe('A broker address host:port, or a list of them.'),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka, whichever has bin/kafka-topics.sh).'),
  state: z.enum(['present', 'absent']).default('present').describe('present: created if missing; absent: deleted.'),
  require_full_isr: z.boolean().default(false).describe('Fail unless every partition has a leader and its ISR is all its replicas.'),
});
type Args = z.output<typeof args>;

function registered(info: TopicInfo | null): Record<string, unknown> {
  if (!info) return { exists: false };
  return { exists: true, partition_count: info.partitionCount, replication_factor: info.replicationFactor, partitions: info.partitions };
}

/** Undo runs without the step's args, so the record says where Kafka is. */
type TopicUndo = { name: string; bootstrap_server: string; kafka_home?: string } & (
  | { created: true }
  | { created: false; partitions: number; replication_factor: number }
);

type Where = { kafka_home?: string; bootstrap_server: string | string[] };

/** `action` (a create, a delete: or nothing, for the check's probe), then the topic described. */
function topicScript(a: Where, action: ShellText, name: string): ShellText {
  return sh`${findKafka(a.kafka_home)}
t="$k/bin/kafka-topics.sh"; b=${bootstrapList(a.bootstrap_server)}
${action}
"$t" --bootstrap-server "$b" --describe --topic ${name} 2>&1 || true`;
}

function parseTopic(out: string, a: Where, name: string): TopicInfo | null {
  if (/TimeoutException|Timed out waiting|Connection to node .* could not be established/.test(out) && !/^\s*Topic:/m.test(out)) {
    throw new TaskError(`cannot reach Kafka at ${bootstrapList(a.bootstrap_server)}: ${out.trim().split('\n').slice(-1)[0]}`);
  }
  // --topic is a regex: only the topic named exactly `name`.
  return parseDescribe(out).get(name) ?? null;
}

async function topics(shell: HostShell, a: Where, action: ShellText, name: string): Promise<TopicInfo | null> {
  return parseTopic((await shell.run(topicScript(a, action, name))).stdout, a, name);
}

function ensureFullIsr(args: Args, info: TopicInfo): void {
  const problems = isrProblems(info);
  if (args.require_full_isr && problems.length) {
    throw new TaskError(`topic ${args.name} is not fully in sync: ${problems.join('; ')}`, { hint: 'are all brokers up? retry with retries/delay while they join' });
  }
}

export default defineTask<typeof args, undefined, TopicUndo>({
  name: 'kafka_topic',
  description: 'Create or delete a Kafka topic (idempotent, checked through --describe)',
  doc: `Creates (\`state: present\`) or deletes (\`state: absent\`) topic \`name\` with
\`kafka-topics.sh\` from \`kafka_home\` (default: \`$KAFKA_HOME\`, \`~/kafka\` or \`/opt/kafka\` of the
step's user) against \`bootstrap_server\` (one \`host:port\` or a list; default \`localhost:9092\`).

An existing topic with the same \`partitions\` and \`replication_factor\` is ok; one with another
shape fails with both shapes in the message (this task never alters a topic). \`register\` gets the
describe: \`partition_count\`, \`replication_factor\`, \`partitions\` (each with \`leader\`,
\`replicas\`, \`isr\`). \`require_full_isr: true\` fails unless every partition has a leader and all
its replicas in sync. Undo deletes a topic the step created, or re-creates (empty) one it deleted.

\`\`\`yaml
- name: Create topic test (3 partitions, replication factor 2)
  run_once: true
  kafka_topic:
    name: test
    partitions: 3
    replication_factor: 2
    bootstrap_server: [kafka01:9092, kafka02:9092, kafka03:9092]
    require_full_isr: true
  retries: 5
  delay: 3
\`\`\``,
  args,
  probe: ({ args }) => topicScript(args, raw(':'), args.name),
  async check(ctx, probed) {
    const { args } = ctx;
    const info = parseTopic(probed, args, args.name);
    const data = registered(info);
    const where = { name: args.name, bootstrap_server: bootstrapList(args.bootstrap_server), ...(args.kafka_home ? { kafka_home: args.kafka_home } : {}) };
    if (args.state === 'absent') {
      if (!info) return { inSync: true, data };
      return { inSync: false, undo: { ...where, created: false, partitions: info.partitionCount, replication_factor: info.replicationFactor }, summary: `delete topic ${args.name}`, data };
    }
    if (!info) {
      return { inSync: false, undo: { ...where, created: true }, summary: `create topic ${args.name} (${args.partitions} partitions, replication factor ${args.replication_factor})`, data };
    }
    if (info.partitionCount !== args.partitions || info.replicationFactor !== args.replication_factor) {
      throw new TaskError(
        `topic ${args.name} exists with ${info.partitionCount} partitions and replication factor ${info.replicationFactor}, not ${args.partitions} and ${args.replication_factor}`,
        { hint: 'kafka_topic does not alter topics: change the args, or the topic with kafka-topics.sh --alter / kafka-reassign-partitions.sh' },
      );
    }
    ensureFullIsr(args, info);
    return { inSync: true, data };
  },
  async apply(ctx) {
    const { args } = ctx;
    const action =
      args.state === 'absent'
        ? sh`"$t" --bootstrap-server "$b" --delete --topic ${args.name} >&2`
        : sh`"$t" --bootstrap-server "$b" --create --topic ${args.name} --partitions ${args.partitions} --replication-factor ${args.replication_factor} >&2`;
    const info = await topics(ctx.shell, args, sh`set -e
${action}
set +e`, args.name);
    if (args.state === 'present') {
      if (!info) throw new TaskError(`topic ${args.name} was created but --describe does not show it`);
      ensureFullIsr(args, info);
    }
    return { data: registered(args.state === 'absent' ? null : info) };
  },
  async undo(ctx, record) {
    const action = record.created
      ? sh`"$t" --bootstrap-server "$b" --delete --if-exists --topic ${record.name} >&2`
      : sh`"$t" --bootstrap-server "$b" --create --if-not-exists --topic ${record.name} --partitions ${record.partitions} --replication-factor ${record.replication_factor} >&2`;
    await topics(ctx.shell, record, sh`set -e
${action}
set +e`, record.name);
  },
});
