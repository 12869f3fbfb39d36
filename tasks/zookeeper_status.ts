// zookeeper_status: asks a ZooKeeper server for its mode with the `srvr` four-letter command
// (whitelisted by default since 3.5), using what the host has: bash's /dev/tcp, else the
// distribution's own Java client (FourLetterWordMain) or `zkServer.sh status`. Read-only: it
// reports, never changes; `expect_mode` turns a wrong mode into a failure (pair it with
// retries/until while an ensemble elects its leader).

import { defineTask, z, sh, TaskError } from 'runbook';

const MODES = ['leader', 'follower', 'standalone', 'observer'] as const;

const args = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or address').default('127.0.0.1').describe('Where the ZooKeeper server listens for clients.'),
  port: z.coerce.number().int().min(1).max(65535).default(2181).describe('Its client port.'),
  expect_mode: z.union([z.enum(MODES), z.array(z.enum(MODES)).min(1)]).optional().describe('Fail unless the server is in this mode (or one of these).'),
  zookeeper_home: z.string().regex(/^\//, 'an absolute path').optional().describe('The ZooKeeper install, for the fallbacks when the host has no bash.'),
  timeout: z.coerce.number().int().positive().default(10).describe('Seconds to wait for the answer.'),
});

export interface SrvrStats {
  mode?: string;
  version?: string;
  zxid?: string;
  node_count?: number;
  connections?: number;
  outstanding?: number;
  latency?: string;
}

/** Parses `srvr` output (or `zkServer.sh status`, which ends in a `Mode:` line too). */
export function parseSrvr(out: string): SrvrStats {
  if (/not currently serving requests/.test(out)) return { mode: 'not_serving' };
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 2).trim());
  }
  const num = (k: string) => (kv.has(k) ? Number(kv.get(k)) : undefined);
  const stats: SrvrStats = {};
  if (kv.has('Mode')) stats.mode = kv.get('Mode');
  if (kv.has('Zookeeper version')) stats.version = kv.get('Zookeeper version')!.split(/[-,]/)[0];
  if (kv.has('Zxid')) stats.zxid = kv.get('Zxid');
  if (kv.has('Node count')) stats.node_count = num('Node count');
  if (kv.has('Connections')) stats.connections = num('Connections');
  if (kv.has('Outstanding')) stats.outstanding = num('Outstanding');
  if (kv.has('Latency min/avg/max')) stats.latency = kv.get('Latency min/avg/max');
  return stats;
}

export default defineTask({
  name: 'zookeeper_status',
  description: "Report a ZooKeeper server's mode (leader, follower, standalone) via srvr",
  doc: `Sends ZooKeeper's \`srvr\` command to \`host\`:\`port\` (default 127.0.0.1:2181) from the host the
step runs on, with bash's /dev/tcp, or (no bash) the install's own FourLetterWordMain or
\`zkServer.sh status\` (give \`zookeeper_home\`). Never changes anything: the step is ok, and
\`register\` gets \`mode\` (\`leader\`, \`follower\`, \`standalone\`, \`observer\`, or \`not_serving\`
while the ensemble has no quorum), \`version\`, \`zxid\`, \`node_count\`, \`connections\`.
It fails when the server does not answer, or when \`expect_mode\` is given and not met: use
\`retries\`/\`delay\` to wait for a leader election.

\`\`\`yaml
- name: Ask every ZooKeeper server for its mode (zkServer.sh status)
  hosts: zookeeper
  zookeeper_status:
    expect_mode: [leader, follower]
  register: zk
  retries: 10
  delay: 3
\`\`\``,
  args,
  async check(ctx) {
    const { host, port, zookeeper_home: home, timeout } = ctx.args;
    const r = await ctx.shell.run(
      sh`if command -v bash >/dev/null 2>&1; then
  timeout ${timeout} bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf srvr >&3 && cat <&3' srvr ${host} ${port} 2>&1
elif [ -n ${home ?? ''} ] && command -v java >/dev/null 2>&1; then
  timeout ${timeout} java -cp ${`${home}/lib/*`} org.apache.zookeeper.client.FourLetterWordMain ${host} ${port} srvr 2>&1
elif [ -n ${home ?? ''} ]; then
  timeout ${timeout} ${`${home}/bin/zkServer.sh`} status 2>&1
else
  echo 'no way to reach ZooKeeper: the host has no bash; give zookeeper_home'; exit 127
fi`,
      { check: false },
    );
    const stats = parseSrvr(r.stdout);
    if (!stats.mode) {
      throw new TaskError(`ZooKeeper at ${host}:${port} did not answer srvr: ${r.stdout.trim().split('\n').slice(-2).join(' ') || `exit ${r.code}`}`, {
        hint: 'is it running (systemctl status zookeeper), and is srvr in 4lw.commands.whitelist?',
      });
    }
    const wanted = ctx.args.expect_mode === undefined ? undefined : ([] as string[]).concat(ctx.args.expect_mode);
    if (wanted && !wanted.includes(stats.mode)) {
      throw new TaskError(`ZooKeeper at ${host}:${port} is ${stats.mode}, expected ${wanted.join(' or ')}`);
    }
    return { inSync: true, summary: `mode: ${stats.mode}`, data: { ...stats } };
  },
  async apply() {
    throw new Error('zookeeper_status is read-only; check is always in sync');
  },
});
