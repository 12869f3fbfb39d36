// kafka_storage: a KRaft node's log directories formatted for its cluster, and never formatted
// again. `kafka-storage.sh format` runs only where a directory has no meta.properties, with
// --ignore-formatted so that a formatted one is left as it is even if the host changed between
// check and apply; a directory that belongs to another cluster, or to another node id, is refused.

import { clusterIdArg, defineTask, findKafka, kafkaHomeArg, logDirsArg, logDirsProbe, parseLogDirs, readLogDirs, sh, z, TaskError, type LogDirState } from 'runbook';

const args = z.strictObject({
  cluster_id: clusterIdArg.describe('The cluster id every node is formatted with (from kafka_cluster_id, or the inventory).'),
  node_id: z.coerce.number().int().nonnegative().describe("This node's node.id, as in its server.properties."),
  dirs: logDirsArg.describe('The log directories (log.dirs, and metadata.log.dir when it is apart): each is formatted unless it has a meta.properties.'),
  config: z.string().regex(/^\//, 'an absolute path').describe("The node's server.properties (kafka-storage.sh format -c)."),
  kafka_home: kafkaHomeArg.describe('The Kafka install (default: $KAFKA_HOME, ~/kafka or /opt/kafka).'),
});

interface Undo {
  /** The directories this step formatted: their meta.properties (and bootstrap.checkpoint) go on undo. */
  formatted: string[];
  /** Those of them that did not exist (format made them): removed on undo when nothing else is in them. */
  created: string[];
}

/** Refusals first: a directory of another cluster or node must never be formatted over, nor the node started on it. */
export function storageProblems(dirs: LogDirState[], clusterId: string, nodeId: number): string[] {
  return dirs.flatMap((d) => {
    if (d.state !== 'formatted') return [];
    if (d.clusterId !== clusterId) {
      return [`${d.dir} belongs to cluster ${d.clusterId ?? '(no cluster.id)'}, not ${clusterId}: its data is another cluster's. Move the directory away, or if it is this cluster's, set kafka_cluster_id to ${d.clusterId}`];
    }
    if (d.nodeId !== String(nodeId)) return [`${d.dir} is formatted for node.id ${d.nodeId ?? '(none)'}, and this host's node id is ${nodeId}: fix broker_id, or move the directory away`];
    return [];
  });
}

export default defineTask<typeof args, Undo, Undo>({
  name: 'kafka_storage',
  description: "Format a KRaft node's log directories for the cluster, once (kafka-storage.sh format)",
  doc: `A KRaft node starts only from log directories formatted with the cluster's id
(\`kafka-storage.sh format --cluster-id=<cluster id> -c server.properties\`: the id joined to its
option, as one a ZooKeeper broker made may start with \`-\`). In sync when every directory of
\`dirs\` has a \`meta.properties\` with \`cluster_id\` and \`node_id\`. A directory without one is
formatted (\`--check\` says "would format <dir>"); the format runs with \`--ignore-formatted\`, so a
directory formatted meanwhile is left alone. A directory whose \`meta.properties\` names another
cluster or node id fails the step, in check mode too: formatting over it would destroy data, and
starting the node on it would join it to the wrong cluster. Run it as the service user
(\`become_user\`), which owns the directories. Undo removes the \`meta.properties\` and
\`bootstrap.checkpoint\` this step wrote (the data Kafka wrote since stays).

\`\`\`yaml
- name: Format the log directories for the cluster (kafka-storage.sh format)
  become: true
  become_user: kafka
  kafka_storage:
    cluster_id: "{{kafka_cluster.cluster_id}}"
    node_id: "{{broker_id}}"
    dirs: ["{{kafka_data_dir}}"]
    config: /home/kafka/kafka/config/server.properties
\`\`\``,
  args,
  probe: ({ args }) => logDirsProbe(args.dirs),
  async check(ctx, probed) {
    const dirs = parseLogDirs(probed, ctx.args.dirs);
    const problems = storageProblems(dirs, ctx.args.cluster_id, ctx.args.node_id);
    if (problems.length) throw new TaskError(`refusing to format: ${problems.join('; ')}`);
    const unformatted = dirs.filter((d) => d.state !== 'formatted').map((d) => d.dir);
    const data = { cluster_id: ctx.args.cluster_id, formatted: dirs.filter((d) => d.state === 'formatted').map((d) => d.dir) };
    if (unformatted.length === 0) return { inSync: true, data };
    const undo = { formatted: unformatted, created: dirs.filter((d) => d.state === 'missing').map((d) => d.dir) };
    return { inSync: false, observed: undo, undo, summary: `would format ${unformatted.join(', ')} (no meta.properties; cluster ${ctx.args.cluster_id}, node ${ctx.args.node_id})`, data };
  },
  async apply(ctx, undo) {
    await ctx.shell.run(sh`${findKafka(ctx.args.kafka_home)}
"$k/bin/kafka-storage.sh" format --ignore-formatted --cluster-id=${ctx.args.cluster_id} -c ${ctx.args.config}`);
    // Formatted now, whatever the tool printed: read back, so a silent no-op is not taken for a format.
    const after = await readLogDirs(ctx.shell, ctx.args.dirs);
    const missing = after.filter((d) => d.state !== 'formatted').map((d) => d.dir);
    if (missing.length) throw new TaskError(`kafka-storage.sh format left ${missing.join(', ')} without meta.properties: do log.dirs in ${ctx.args.config} name them?`);
    return { undo };
  },
  async undo(ctx, record) {
    for (const dir of record.formatted) await ctx.shell.run(sh`rm -f -- ${`${dir}/meta.properties`} ${`${dir}/bootstrap.checkpoint`}`);
    for (const dir of record.created) await ctx.shell.run(sh`rmdir -- ${dir} 2>/dev/null || true`);
  },
});
