// The KRaft metadata quorum as its controllers report it: who leads, which voters are caught up. A
// controller's rolling restart (kafka_controller_restart) gates on it and waits on it. Asked with
// Kafka's DescribeQuorum (kafka-protocol.ts) over connections the host's sshd opens to each
// controller in turn, until the leader answers (the others refuse: not the leader); where the
// host's sshd forwards nothing, with `kafka-metadata-quorum.sh describe --replication` (a JVM),
// whose columns are found by their header, since Kafka added DirectoryId in 3.7 and may add more.

import { sh } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import { TaskError } from '../errors.js';
import { findKafka } from './kafka-tools.js';
import { askBrokers, bootstrapPairs } from './kafka-cluster.js';
import type { WireQuorum } from './kafka-protocol.js';
import { ForwardingRefused } from '../transport/types.js';

/** Seconds a controller may take to answer. */
const ANSWER_TIMEOUT_S = 30;

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

/** The quorum as its leader reports it: each voter's lag is how far its log end is behind the leader's. */
export function quorumOfWire(w: WireQuorum): Quorum {
  if (w.error !== 0 || w.leader < 0) return { voters: [] };
  const leaderEnd = w.voters.find((v) => v.id === w.leader)?.logEndOffset ?? Math.max(...w.voters.map((v) => v.logEndOffset));
  return {
    leader: w.leader,
    voters: w.voters.map((v) => ({ id: v.id, lag: Math.max(0, leaderEnd - v.logEndOffset), status: v.id === w.leader ? 'Leader' : 'Follower' })),
  };
}

interface QuorumQuery {
  /** The controllers' listeners, comma-joined host:port. */
  bootstrapControllers: string;
  kafkaHome?: string;
}

/** The quorum, asked from this host through the controllers' own listeners (no broker needed, as during a migration); no leader when none answers. */
export async function readQuorum(shell: HostShell, q: QuorumQuery): Promise<Quorum> {
  try {
    // The controllers in turn (one being restarted refuses), until the leader answers: the others refuse to.
    return await askBrokers(shell, bootstrapPairs(q.bootstrapControllers), ANSWER_TIMEOUT_S * 1000, async (kafka) => {
      const quorum = quorumOfWire(await kafka.quorum());
      if (quorum.leader === undefined) throw new Error('not the quorum leader');
      return quorum;
    });
  } catch (e) {
    if (e instanceof ForwardingRefused) return quorumWithTool(shell, q);
    return { voters: [] };
  }
}

async function quorumWithTool(shell: HostShell, q: QuorumQuery): Promise<Quorum> {
  const r = await shell.run(
    sh`${findKafka(q.kafkaHome)}
timeout ${ANSWER_TIMEOUT_S} "$k/bin/kafka-metadata-quorum.sh" --bootstrap-controller ${q.bootstrapControllers} describe --replication 2>&1`,
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
