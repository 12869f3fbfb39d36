// The KRaft metadata quorum as its controllers report it (`kafka-metadata-quorum.sh describe
// --replication`): who leads, which voters are caught up. A controller's rolling restart
// (kafka_controller_restart) gates on it and waits on it; the columns are found by their header,
// since Kafka added DirectoryId in 3.7 and may add more.

import { sh } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';

export interface QuorumReplica {
  id: number;
  /** How many records behind the leader's log end. */
  lag: number;
  status: 'Leader' | 'Follower' | 'Observer' | string;
}

export interface Quorum {
  leader?: number;
  /** The voters (Leader and Followers); observers (brokers) are left out. */
  voters: QuorumReplica[];
}

/** `describe --replication` as data; an empty quorum for text without its header. */
export function parseQuorumReplication(text: string): Quorum {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const head = lines.findIndex((l) => /^NodeId\s/.test(l) && /\bStatus\b/.test(l));
  if (head < 0) return { voters: [] };
  const columns = lines[head].split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const voters = lines
    .slice(head + 1)
    .map((l) => l.split(/\s+/))
    .filter((cells) => cells.length === columns.length && /^\d+$/.test(cells[at('NodeId')]))
    .map((cells) => ({ id: Number(cells[at('NodeId')]), lag: Number(cells[at('Lag')]), status: cells[at('Status')] }))
    .filter((r) => r.status === 'Leader' || r.status === 'Follower');
  const leader = voters.find((r) => r.status === 'Leader')?.id;
  return { ...(leader !== undefined ? { leader } : {}), voters };
}

/** The quorum, asked from this host through the controllers' own listeners (no broker needed, as during a migration). */
export async function readQuorum(shell: HostShell, q: { bootstrapControllers: string; kafkaHome?: string; toolTimeout?: number }): Promise<Quorum> {
  const r = await shell.run(
    sh`${findKafka(q.kafkaHome)}
timeout ${q.toolTimeout ?? 30} "$k/bin/kafka-metadata-quorum.sh" --bootstrap-controller ${q.bootstrapControllers} describe --replication 2>&1`,
    { check: false },
  );
  if (r.code === 66) throw new TaskError(r.stderr.trim());
  return parseQuorumReplication(r.stdout);
}

/** Why the quorum could not lose `self` now (another voter missing or behind, no leader), or undefined. */
export function quorumGate(q: Quorum, self: number, expected: number[]): string | undefined {
  if (q.leader === undefined) return 'the quorum has no leader';
  const others = expected.filter((id) => id !== self);
  const missing = others.filter((id) => !q.voters.some((v) => v.id === id));
  if (missing.length) return `controllers ${missing.join(', ')} are not in the quorum`;
  const behind = q.voters.filter((v) => v.id !== self && v.lag > 0);
  if (behind.length) return `controllers behind the leader: ${behind.map((v) => `${v.id} (lag ${v.lag})`).join(', ')}`;
  return undefined;
}

/** Why `self` is not back yet (not a voter, behind the leader, no leader), or undefined once it is caught up. */
export function quorumNotBack(q: Quorum, self: number): string | undefined {
  if (q.leader === undefined) return 'the quorum has no leader';
  const me = q.voters.find((v) => v.id === self);
  if (!me) return `controller ${self} is not in the quorum yet`;
  if (me.lag > 0) return `controller ${self} is ${me.lag} records behind the leader`;
  return undefined;
}
