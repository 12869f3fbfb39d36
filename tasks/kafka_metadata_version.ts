// kafka_metadata_version: the last, one-way step of a KRaft upgrade: once every node runs the new
// release, raise the cluster's metadata.version to it (kafka-features.sh upgrade --metadata), as
// Kafka's upgrade notes say. Until then the new release runs at the old level, and the nodes can
// still go back to the old release.

import { defineTask, z, TaskError, sh, findKafka, bootstrapArg, bootstrapList, kafkaHomeArg, formatMetadataVersion, parseMetadataVersion, reaches, readMetadataVersion } from 'runbook';

const args = z.strictObject({
  version: z
    .string()
    .refine((v) => parseMetadataVersion(v) !== undefined, 'a release (4.1, 4.1.1) or a metadata version (4.1-IV1)')
    .describe('The level to reach: a release (4.1.1 or 4.1: that release\'s latest metadata.version) or a level of its own (4.1-IV1).'),
  bootstrap_server: bootstrapArg.describe('The cluster: brokers (host:port, a comma-joined list or a list) asked for the features and told to raise them.'),
  kafka_home: kafkaHomeArg.describe('The Kafka install whose kafka-features.sh is used: the new release (default: $KAFKA_HOME, ~/kafka or /opt/kafka).'),
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'kafka_metadata_version',
  description: "Raise a KRaft cluster's metadata.version to a release (the one-way end of an upgrade)",
  doc: `Reads the cluster's finalized \`metadata.version\` (\`kafka-features.sh describe\`) and, when it is
below \`version\`, raises it with \`kafka-features.sh upgrade --metadata <version>\`. A release such as
\`4.1.1\` means its latest level (\`4.1-IV1\` for Kafka 4.1); a level at or beyond it is in sync, so a
cluster someone already raised further is left alone. Kafka refuses the raise while a node does not
support the level (a node still on the old release): move every node first (upgrade-kafka does).

Only \`metadata.version\` is raised. \`kafka-features.sh upgrade --release-version\` would also raise
\`kraft.version\` (the dynamic quorum of KIP-853, with its own configuration), \`group.version\` (the
consumer protocol of KIP-848) and \`transaction.version\` (KIP-890): each changes what clients or
operators see, and is a decision of its own.

There is no undo: Kafka cannot lower a metadata.version past one with metadata changes (its upgrade
notes), so rollback stops before this step. \`--check\` says which level it would raise from and to.

\`\`\`yaml
- name: Raise metadata.version to the new release
  run_once: true
  become: true
  become_user: kafka
  kafka_metadata_version:
    version: "{{kafka_version}}"
    bootstrap_server: kafka01:9092,kafka02:9092,kafka03:9092
    kafka_home: /home/kafka/kafka
  irreversible: the cluster's metadata cannot go back to the old release
\`\`\``,
  args,
  async check(ctx) {
    const want = parseMetadataVersion(ctx.args.version)!;
    const state = await readMetadataVersion(ctx.shell, { bootstrap: bootstrapList(ctx.args.bootstrap_server), ...(ctx.args.kafka_home ? { kafkaHome: ctx.args.kafka_home } : {}) });
    const have = formatMetadataVersion(state.finalized);
    if (reaches(state.finalized, want)) return { inSync: true, summary: `metadata.version is ${have}` };
    const raise = `raise metadata.version from ${have} to ${formatMetadataVersion(want)}`;
    if (!reaches(state.supportedMax, want)) {
      return { inSync: false, summary: `${raise}, but not now: the broker that answered supports at most ${formatMetadataVersion(state.supportedMax)} (move every node to the new release first)` };
    }
    return { inSync: false, summary: raise };
  },
  async apply(ctx) {
    const want = parseMetadataVersion(ctx.args.version)!;
    const bootstrap = bootstrapList(ctx.args.bootstrap_server);
    const r = await ctx.shell.run(sh`${findKafka(ctx.args.kafka_home)}
timeout 120 "$k/bin/kafka-features.sh" --bootstrap-server ${bootstrap} upgrade --metadata ${formatMetadataVersion(want)} 2>&1`, { check: false });
    if (r.code !== 0) {
      throw new TaskError(`kafka-features.sh upgrade --metadata ${formatMetadataVersion(want)} failed (exit ${r.code}): ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join(' ')}`, {
        hint: 'every node must run a release that supports the level: see which with kafka-features.sh describe, move the others first',
      });
    }
    const after = await readMetadataVersion(ctx.shell, { bootstrap, ...(ctx.args.kafka_home ? { kafkaHome: ctx.args.kafka_home } : {}) });
    if (!reaches(after.finalized, want)) throw new TaskError(`metadata.version is ${formatMetadataVersion(after.finalized)} after the upgrade, not ${formatMetadataVersion(want)}`);
    ctx.log(`metadata.version is ${formatMetadataVersion(after.finalized)}`);
  },
});
