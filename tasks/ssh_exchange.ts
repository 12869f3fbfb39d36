// ssh_exchange: passwordless SSH across the cluster for one user. On each host: every host's
// public key of the user (its own included, for `ssh localhost`) goes into authorized_keys, and
// every host's SSH host keys go into known_hosts under its inventory name and addresses, so
// `ssh kafka02` from kafka01 neither asks for a password nor for a host key confirmation.
//
// The keys are read through each peer's own connection (ctx.peers()): no ssh-keyscan, so nothing
// is trusted on first use from the network. Undo takes out exactly the lines the step added.

import { defineTask, z, sh, TaskError, splitLines, homeScript, SECTION_FUNCTION, splitSections, type HostShell } from 'runbook';
import { applyLines, editKeys, keyId, planLines, probeUserFiles, undoLines, type LinesPlan, type LinesUndo } from './authorized_key.js';
import { accountName } from './user.js';

const args = z.strictObject({
  user: accountName.describe('The account whose keys are exchanged between the hosts of the play.'),
  path: z.string().min(1).refine((p) => !p.includes('\n'), 'one line').default('.ssh/id_rsa').describe('The user\'s private key (absolute, or relative to the home); its public key is <path>.pub.'),
});

interface ExchangeObserved {
  plans: LinesPlan[];
}
interface ExchangeUndo {
  files: LinesUndo[];
}

export interface HostKeys {
  /** Names and addresses the host is reached by. */
  names: string[];
  /** `type blob` of each host key. */
  keys: string[];
}

/** The names a host is known by: its inventory name, then the addresses its vars give. */
export function namesOf(host: string, vars: Record<string, unknown>): string[] {
  const names = [host];
  for (const k of ['ansible_host', 'address', 'private_ip']) {
    const v = vars[k];
    if (typeof v === 'string' && v && !names.includes(v)) names.push(v);
  }
  return names;
}

/**
 * What known_hosts holds: each host's keys under its names, and this host's own under `localhost`,
 * on a line of its own: members sharing a machine (instances) share the user's known_hosts, and
 * each must want the same lines, whichever of them writes it.
 */
export function knownHostEntries(hosts: Array<{ names: string[]; hostKeys: string[] }>, ownKeys: string[]): HostKeys[] {
  return [...hosts.map((h) => ({ names: h.names, keys: h.hostKeys })), { names: ['localhost'], keys: ownKeys }];
}

/**
 * known_hosts with one `names type blob` line per host key; a line that names one of those hosts
 * with the same key type but another key (a re-created host) is dropped, or ssh would refuse it.
 */
export function editKnownHosts(lines: string[], hosts: HostKeys[]): string[] {
  const wanted: string[] = [];
  const stale = (line: string): boolean => {
    if (line.startsWith('#') || line.trim() === '') return false;
    const [field, type] = line.trim().split(/\s+/);
    const names = field.split(',');
    return hosts.some((h) => h.keys.some((k) => k.split(' ')[0] === type && !wanted.includes(line) && h.names.some((n) => names.includes(n))));
  };
  for (const h of hosts) for (const k of h.keys) wanted.push(`${h.names.join(',')} ${k}`);
  const out = lines.filter((l) => wanted.includes(l) || !stale(l));
  for (const w of wanted) if (!out.includes(w)) out.push(w);
  return out;
}

/** Script text that prints the public key (under "$h", the user's home) and the host keys, in sections `pub` and `hostkeys`. */
function keysScript(path: string) {
  const pub = path.startsWith('/') ? sh`${`${path}.pub`}` : sh`"$h"/${`${path}.pub`}`;
  return sh`rb_section pub; cat -- ${pub} 2>/dev/null || true
rb_section hostkeys; cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true`;
}

function parseKeys(sections: Map<string, string>): { pub: string | null; hostKeys: string[] } {
  const pub = (sections.get('pub') ?? '').trim();
  const hostKeys = splitLines(sections.get('hostkeys') ?? '').map(keyId).filter((k): k is string => k !== null);
  return { pub: pub && keyId(pub) ? pub : null, hostKeys };
}

async function peerKeys(shell: HostShell, user: string, path: string) {
  const r = await shell.run(sh`${SECTION_FUNCTION}
${homeScript(user)}
${keysScript(path)}`);
  return parseKeys(splitSections(r.stdout));
}

export default defineTask<typeof args, ExchangeObserved, ExchangeUndo>({
  name: 'ssh_exchange',
  description: "Authorize every host's SSH key on every host and trust their host keys",
  doc: `The cluster key exchange (manual step 14, done for every pair of hosts). For \`user\`, on each
host of the step:

- every host's public key \`<path>.pub\` (default \`~/.ssh/id_rsa.pub\`; this host's own too, so
  \`ssh localhost\` works) is added to \`~/.ssh/authorized_keys\`;
- every host's SSH host keys (\`/etc/ssh/ssh_host_*_key.pub\`, read over the runbook's own
  connection to that host, not from the network) are added to \`~/.ssh/known_hosts\` under the
  host's inventory name and the addresses in its vars (\`ansible_host\`, \`address\`, \`private_ip\`),
  and this host's also under \`localhost\`. Older lines for those names with a different key are removed.

The peers are the other hosts of the play; make the keys first (\`ssh_keygen\` on every host).
Undo takes out the lines the step added and restores the ones it removed.

\`\`\`yaml
- name: Generate an SSH key pair
  become: true
  ssh_keygen: { path: /home/kafka/.ssh/id_rsa, owner: kafka }
- name: Authorize every host's key on every host
  become: true
  ssh_exchange:
    user: kafka
    path: /home/kafka/.ssh/id_rsa
\`\`\``,
  args,
  async check(ctx) {
    const { user, path } = ctx.args;
    const peers = ctx.peers();
    const [self, ...others] = await Promise.all([
      probeUserFiles(ctx.shell, user, ['.ssh/authorized_keys', '.ssh/known_hosts'], keysScript(path)),
      ...peers.map((p) => peerKeys(p.shell, user, path)),
    ]);
    const mine = parseKeys(self.sections);
    const all = [{ host: ctx.host, names: namesOf(ctx.host, ctx.vars), ...mine }, ...peers.map((p, i) => ({ host: p.host, names: namesOf(p.host, p.vars), ...others[i] }))];
    const missing = all.filter((h) => h.pub === null).map((h) => h.host);
    if (missing.length) {
      const message = `no public key ${path}.pub of ${user} on ${missing.join(', ')}`;
      if (ctx.checkMode) return { inSync: false, unknowableInCheck: `${message} yet (an earlier step makes it)` };
      throw new TaskError(message, { hint: 'generate the keys first: ssh_keygen on every host' });
    }
    const noHostKeys = all.filter((h) => h.hostKeys.length === 0).map((h) => h.host);
    if (noHostKeys.length) throw new TaskError(`no SSH host keys in /etc/ssh on ${noHostKeys.join(', ')}`, { hint: 'install and start openssh-server there' });

    const owner = { user, group: self.group };
    const [authorized, known] = self.files;
    const results = [
      planLines(authorized, editKeys(splitLines(authorized.text), all.map((h) => h.pub!), 'present'), owner),
      planLines(known, editKnownHosts(splitLines(known.text), knownHostEntries(all, mine.hostKeys)), owner),
    ];
    const changed = results.filter((r) => !r.inSync);
    const data = { hosts: all.map((h) => h.host) };
    if (!changed.length) return { inSync: true, data };
    return {
      inSync: false,
      observed: { plans: changed.map((r) => r.observed!) },
      undo: { files: changed.map((r) => r.undo!) },
      summary: changed.map((r) => r.summary).join('; '),
      diff: changed.flatMap((r) => r.diff ?? []),
      data,
    };
  },
  async apply(ctx, observed) {
    for (const plan of observed!.plans) await applyLines(ctx.shell, plan);
  },
  async undo(ctx, record) {
    for (const file of [...record.files].reverse()) await undoLines(ctx.shell, file);
  },
});

