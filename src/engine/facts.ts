// ctx.facts(): everything a task may want to know about a host, read in one round trip with a
// single sh script (no Python on targets), and cached per host for the run.

import { raw } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import type { Facts } from '../task/types.js';

// One value per line, in this order. Each probe prints exactly one line, even when it fails.
const SCRIPT = raw(`( . /etc/os-release 2>/dev/null; printf '%s\\n' "\${ID:-}" "\${VERSION_ID:-}" "\${ID_LIKE:-}" "\${PRETTY_NAME:-}" )
printf '%s\\n' "$(cat /proc/1/comm 2>/dev/null)"
printf '%s\\n' "$(uname -m)"
printf '%s\\n' "$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo 2>/dev/null)"
printf '%s\\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
printf '%s\\n' "$(uname -n)"`);

export function parseFacts(out: string): Facts {
  const [id, version, idLike, prettyName, comm, arch, memMb, cpus, hostname] = out.split('\n');
  const family = (idLike ?? '').split(/\s+/).filter(Boolean).pop() ?? id;
  return {
    os: { id, version, family: family || id, prettyName },
    init: comm === 'systemd' ? 'systemd' : comm,
    arch,
    memoryMb: Number(memMb) || 0,
    cpus: Number(cpus) || 1,
    hostname,
  };
}

export class FactsCache {
  private readonly byHost = new Map<string, Promise<Facts>>();

  get(shell: HostShell): Promise<Facts> {
    let facts = this.byHost.get(shell.host);
    if (!facts) {
      facts = shell.run(SCRIPT).then((r) => parseFacts(r.stdout));
      this.byHost.set(shell.host, facts);
      // A failed gathering is not cached: the next step may try again.
      facts.catch(() => this.byHost.delete(shell.host));
    }
    return facts;
  }
}
