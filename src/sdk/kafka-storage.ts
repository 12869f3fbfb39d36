// What a KRaft node's log directories say about the cluster they belong to. `kafka-storage.sh
// format` writes a `meta.properties` into each directory (cluster.id, node.id); formatting again
// over a directory that has one is how a cluster loses its data, so every decision about
// formatting starts from reading these files, in one round trip per host.

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sh, type ShellText } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { SECTION_FUNCTION, splitSections } from './probe.js';

/** A log directory as found: missing, without meta.properties (and how many entries it holds), or formatted. */
export type LogDirState =
  | { dir: string; state: 'missing' }
  | { dir: string; state: 'unformatted'; entries: number }
  | { dir: string; state: 'formatted'; clusterId: string | undefined; nodeId: string | undefined };

export const logDirsArg = z.array(z.string().regex(/^\//, 'an absolute path')).min(1);

/** Kafka's cluster id format: 16 random bytes, base64url without padding (Uuid.toString()). */
export const clusterIdArg = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "a Kafka cluster id: 22 characters of base64url, as `kafka-storage.sh random-uuid` prints");

/** A new cluster id, as `kafka-storage.sh random-uuid` makes one (never starting with '-', which tools would take for an option). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** `key=value` lines of a Java properties file (the subset meta.properties uses). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('!')) continue;
    const at = t.search(/[=:]/);
    if (at > 0) out.set(t.slice(0, at).trim(), t.slice(at + 1).trim());
  }
  return out;
}

/** The probe of log directories: each missing, unformatted, or formatted with its meta.properties. */
export function logDirsProbe(dirs: readonly string[]): ShellText {
  return sh`${SECTION_FUNCTION}i=0
for d in ${dirs}; do
  rb_section "d$i"; i=$((i + 1))
  if [ ! -d "$d" ]; then echo missing
  elif [ -f "$d/meta.properties" ]; then echo formatted; tr -d '\\000' < "$d/meta.properties"
  else echo unformatted; ls -A -- "$d" | wc -l
  fi
done`;
}

/** What logDirsProbe found, in the order of `dirs`. */
export function parseLogDirs(probed: string, dirs: readonly string[]): LogDirState[] {
  const sections = splitSections(probed);
  return dirs.map((dir, i) => {
    const [kind = '', ...rest] = (sections.get(`d${i}`) ?? '').split('\n');
    if (kind === 'missing') return { dir, state: 'missing' };
    if (kind === 'unformatted') return { dir, state: 'unformatted', entries: Number(rest[0]?.trim() || 0) };
    const props = parseProperties(rest.join('\n'));
    // A ZooKeeper broker's meta.properties (version 0) names it broker.id; Kafka reads either as the node's id.
    return { dir, state: 'formatted', clusterId: props.get('cluster.id'), nodeId: props.get('node.id') ?? props.get('broker.id') };
  });
}

/** Each of `dirs` on the host, read now (on another host than the step's: kafka_cluster_id). */
export async function readLogDirs(shell: HostShell, dirs: readonly string[]): Promise<LogDirState[]> {
  return parseLogDirs((await shell.run(logDirsProbe(dirs))).stdout, dirs);
}

/** The cluster ids the formatted directories hold, each with where it was found (`host:dir`). */
export function clusterIdsFound(found: ReadonlyArray<{ host: string; dirs: LogDirState[] }>): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const { host, dirs } of found) {
    for (const d of dirs) {
      if (d.state !== 'formatted' || !d.clusterId) continue;
      ids.set(d.clusterId, [...(ids.get(d.clusterId) ?? []), `${host}:${d.dir}`]);
    }
  }
  return ids;
}
