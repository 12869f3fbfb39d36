// reachable: can this host open TCP connections to these host:port pairs, before anything listens
// there? A connection made or refused means the packets went both ways (nothing in between drops
// them); a timeout, "no route" or an unknown name means a firewall, a route or DNS is in the way.
// Read-only: in sync, or a failure naming every pair that cannot be reached.

import { defineTask, z, sh, TaskError } from 'runbook';

/** A list, or its items joined with commas (as a template renders them). */
const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : typeof v === 'number' ? [v] : v), z.array(item).min(1));

const args = z.strictObject({
  hosts: listOf(z.string().regex(/^[A-Za-z0-9.\-_]+$/, 'a host name or address')).describe('The hosts to reach from this one (names or addresses), a list or comma-joined.'),
  ports: listOf(z.coerce.number().int().min(1).max(65535)).describe('The TCP ports to reach on each of them.'),
  timeout: z.coerce.number().int().positive().default(3).describe('Seconds to wait for each connection before calling it blocked.'),
});

export type Reach = 'open' | 'refused' | 'timeout' | 'unreachable' | 'unresolved' | 'error';

/** What one connection attempt's exit code and last message say. */
export function classify(rc: number, message: string): Reach {
  if (rc === 0) return 'open';
  if (rc === 124) return 'timeout';
  if (/refused/i.test(message)) return 'refused';
  if (/no route|unreachable/i.test(message)) return 'unreachable';
  if (/not known|unknown host|resolution|no address/i.test(message)) return 'unresolved';
  return 'error';
}

const REACHED: Reach[] = ['open', 'refused'];

/** Every host with every port, each once. */
const pairs = (hosts: string[], ports: number[]) => [...new Set(hosts)].flatMap((h) => [...new Set(ports)].map((p) => [h, String(p)] as const));

export default defineTask<typeof args, undefined, undefined>({
  name: 'reachable',
  description: 'Check that TCP connections from this host to host:port pairs get through (open or refused), before anything listens',
  doc: `For a preflight before an install: from the step's host, one TCP connection to each of
\`hosts\` on each of \`ports\`, with bash's \`/dev/tcp\` and \`timeout\`. Connected (something listens)
or refused (nothing listens yet, but the host answered) is reachable; a timeout (a firewall that
drops, as cloud firewalls do), no route, or a name that does not resolve is not, and the step
fails naming each such pair. Changes nothing; runs in \`--check\` too. A firewall that rejects
(answers with a reset) looks like "nothing listens yet": this cannot tell those apart.

\`\`\`yaml
- name: Check the ZooKeeper ports are reachable from every host
  reachable:
    hosts: [10.0.0.11, 10.0.0.12, 10.0.0.13]
    ports: [2181, 2888, 3888]
\`\`\``,
  args,
  probe: ({ args: { hosts, ports, timeout } }) => sh`command -v bash >/dev/null || { echo 'bash is needed (its /dev/tcp)' >&2; exit 69; }
probe() { out=$(timeout ${timeout} bash -c 'exec 3<>"/dev/tcp/$1/$2"' reach "$1" "$2" 2>&1); rc=$?; printf '%s %s %s\\n' "$1:$2" "$rc" "$(printf '%s' "$out" | tail -n 1)"; }
${pairs(hosts, ports).map(([h, p]) => sh`probe ${h} ${p} &
`)}wait`,
  async check(ctx, probed) {
    const { hosts, ports, timeout } = ctx.args;
    const order = pairs(hosts, ports).map(([h, p]) => `${h}:${p}`);
    const results = probed
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pair, rc, ...message] = line.split(' ');
        return { pair, reach: classify(Number(rc), message.join(' ')), message: message.join(' ') };
      });
    const blocked = results.filter((x) => !REACHED.includes(x.reach)).sort((a, b) => order.indexOf(a.pair) - order.indexOf(b.pair));
    if (blocked.length) {
      throw new TaskError(`cannot reach ${blocked.map((b) => `${b.pair} (${b.reach === 'timeout' ? `no answer in ${timeout} s` : b.message || b.reach})`).join(', ')}`, {
        hint: 'open these ports between the cluster hosts (firewall rules, security groups) and check the addresses',
      });
    }
    const listening = results.filter((x) => x.reach === 'open').length;
    return { inSync: true, summary: `${results.length} reachable (${listening} listening, ${results.length - listening} not yet)` };
  },
  async apply() {},
});
