// kafka_cluster_id: the one id of a KRaft cluster, read back from the hosts that were formatted
// with it, or made once when none was. It changes nothing on any host; `register` carries the id
// to kafka_storage. Hosts that disagree are refused: that is two clusters, not one.

import { clusterIdArg, clusterIdsFound, defineTask, logDirsArg, newClusterId, readLogDirs, z, TaskError } from 'runbook';

const args = z.strictObject({
  dirs: logDirsArg.describe('The log directories to read meta.properties from, on this host and on every other host of `hosts`.'),
  hosts: z.array(z.string().min(1)).min(1).describe('Inventory names of the KRaft nodes (brokers and controllers) of the cluster.'),
  cluster_id: z.union([clusterIdArg, z.literal('')]).optional().describe('The id to use when no host has one yet (empty or absent: a new one is made); refused if the hosts hold another.'),
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'kafka_cluster_id',
  description: "The KRaft cluster's id: read from the formatted hosts, or made once",
  doc: `Reads \`meta.properties\` in \`dirs\` on every host of \`hosts\` (this one and the others,
through the play's connections) and registers \`cluster_id\`: the one id they hold, so a re-run
never formats a node with a new id. When no host is formatted yet, the id is \`cluster_id\` if given
(the inventory's \`kafka_cluster_id\`), else a new one (as \`kafka-storage.sh random-uuid\` makes it).
Fails when the hosts hold different ids, or another id than \`cluster_id\`, naming each directory.
Reads only; \`found\` lists where the id was read. Use with \`run_once: true\`: one id for the cluster,
and a resumed run keeps the one it registered.

\`\`\`yaml
- name: Read the cluster id from the formatted nodes, or make one
  run_once: true
  become: true
  kafka_cluster_id:
    hosts: "{{inventory_hostnames 'kafka:controller'}}"
    dirs: ["{{kafka_data_dir}}"]
  register: kafka_cluster
\`\`\``,
  args,
  async check(ctx) {
    const others = new Map(ctx.peers().map((p) => [p.host, p.shell]));
    const missing = ctx.args.hosts.filter((h) => h !== ctx.host && !others.has(h));
    if (missing.length) throw new TaskError(`hosts ${missing.join(', ')} are not in this play: their log directories cannot be read`);
    const found = await Promise.all(
      ctx.args.hosts.map(async (host) => ({ host, dirs: await readLogDirs(host === ctx.host ? ctx.shell : others.get(host)!, ctx.args.dirs) })),
    );
    const ids = clusterIdsFound(found);
    const wanted = ctx.args.cluster_id || undefined;
    if (ids.size > 1 || (wanted !== undefined && ids.size === 1 && !ids.has(wanted))) {
      const held = [...ids].map(([id, where]) => `${id} on ${where.join(', ')}`).join('; ');
      const expected = wanted !== undefined ? `kafka_cluster_id is ${wanted}, and ` : '';
      throw new TaskError(`${expected}the hosts hold more than one cluster's data: ${held}. One cluster has one id: move the stray directories away, or set kafka_cluster_id to the cluster's`);
    }
    const [held] = [...ids.keys()];
    const clusterId = held ?? wanted ?? newClusterId();
    const summary = held ? `cluster ${clusterId}, read from ${ids.get(held)!.join(', ')}` : `cluster ${clusterId} (${wanted ? 'kafka_cluster_id' : 'new'}: no host is formatted yet)`;
    return { inSync: true, summary, data: { cluster_id: clusterId, found: held ? ids.get(held) : [] } };
  },
  async apply() {
    // Never called: check is always in sync.
  },
});
