// zookeeper_status: asks a ZooKeeper server for its mode with the `srvr` four-letter command
// (whitelisted by default since 3.5), using what the host has: bash's /dev/tcp, else the
// distribution's own Java client (FourLetterWordMain) or `zkServer.sh status`. Read-only: it
// reports, never changes; `expect_mode` turns a wrong mode into a failure (pair it with
// retries/until while an ensemble elects its leader).

import { defineTask, z, sh, TaskError, parseSrvr, srvrScript } from 'runbook';

const MODES = ['leader', 'follower', 'standalone', 'observer'] as const;

const args = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or address').default('127.0.0.1').describe('Where the ZooKeeper server listens for clients.'),
  port: z.coerce.number().int().min(1).max(65535).default(2181).describe('Its client port.'),
  expect_mode: z.union([z.enum(MODES), z.array(z.enum(MODES)).min(1)]).optional().describe('Fail unless the server is in this mode (or one of these).'),
  zookeeper_home: z.string().regex(/^\//, 'an absolute path').optional().describe('The ZooKeeper install, for the fallbacks when the host has no bash.'),
  timeout: z.coerce.number().int().positive().default(10).describe('Seconds to wait for the answer.'),
});

export default defineTask<typeof args, undefined, undefined>({
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
  // Whatever srvr's exit, what it printed says why: the probe never fails on it.
  probe: ({ args: a }) => sh`(
${srvrScript(a.host, a.port, a.timeout, a.zookeeper_home)}
) || echo "exit $?"`,
  async check(ctx, probed) {
    const { host, port } = ctx.args;
    const stats = parseSrvr(probed);
    if (!stats.mode) {
      throw new TaskError(`ZooKeeper at ${host}:${port} did not answer srvr: ${probed.trim().split('\n').slice(-2).join(' ')}`, {
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
