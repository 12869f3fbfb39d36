// Asking a ZooKeeper server for its state with the `srvr` four-letter command (whitelisted by
// default since 3.5), using what the host has: bash's /dev/tcp, else the distribution's own Java
// client (FourLetterWordMain) or `zkServer.sh status`. Shared by zookeeper_status,
// zookeeper_restart and `runbook status`.

import { sh, type ShellText } from '../shell/quote.js';

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

/** Prints the server's `srvr` answer (or whatever went wrong) on stdout. */
export function srvrScript(host: string, port: number, timeout: number, home?: string): ShellText {
  const bash = sh`timeout ${timeout} bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf srvr >&3 && cat <&3' srvr ${host} ${port} 2>&1`;
  if (!home) {
    return sh`if command -v bash >/dev/null 2>&1; then
  ${bash}
else
  echo 'no way to reach ZooKeeper: the host has no bash; give zookeeper_home'; exit 127
fi`;
  }
  return sh`if command -v bash >/dev/null 2>&1; then
  ${bash}
elif command -v java >/dev/null 2>&1; then
  timeout ${timeout} java -cp ${`${home}/lib/*`} org.apache.zookeeper.client.FourLetterWordMain ${host} ${port} srvr 2>&1
else
  timeout ${timeout} ${`${home}/bin/zkServer.sh`} status 2>&1
fi`;
}
