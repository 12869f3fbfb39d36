// From what the hosts answered to one verdict: a pure function, tested on fixed facts
// (test/unit/status-assess.test.ts). Down: ZooKeeper without a quorum, partitions offline, no
// broker answering or the partitions unreadable. Degraded: anything less than all there, a
// member or broker down, a host not reached, partitions under-replicated or under
// min.insync.replicas, a listener not answering, a data disk 90% full. Problems are listed worst
// first, so the first line of a status is the one to act on.

import type { KafkaCluster } from '../sdk/kafka-cluster.js';
import { label } from '../sdk/kafka-health.js';
import type { Health, HostFacts, KafkaClusterFacts, Problem, StatusReport, ZookeeperCluster } from './report.js';

/** A data directory this full is a problem: Kafka stops a log directory that runs out of space. */
export const DISK_FULL_PERCENT = 90;

export interface ClusterRead {
  /** The host whose tools were asked. */
  from?: string;
  cluster?: KafkaCluster;
  error?: string;
  /** Read, but in part (min.insync.replicas unknown, say). */
  warning?: string;
}

export interface AssessInput {
  time: string;
  inventory?: string;
  /** Every host asked, in inventory order, with the facts found (reachable: false and error when not). */
  hosts: HostFacts[];
  /** The zookeeper group's hosts. */
  zookeeperMembers: string[];
  /** The kafka group's hosts with their broker ids. */
  brokers: { host: string; id?: number }[];
  /** The partitions as a broker's host saw them; undefined when the inventory has no kafka group. */
  kafka?: ClusterRead;
}

const SERVING = new Set(['leader', 'follower', 'standalone']);
const RANK: Record<Problem['severity'], number> = { down: 0, degraded: 1, warning: 2 };

function list(names: string[], max = 10): string {
  return names.slice(0, max).join(', ') + (names.length > max ? `, and ${names.length - max} more` : '');
}

export function assess(input: AssessInput): StatusReport {
  const problems: Problem[] = [];
  const add = (severity: Problem['severity'], message: string, host?: string) => problems.push({ severity, message, ...(host ? { host } : {}) });
  const hosts = input.hosts.map((h) => ({ ...h }));
  const byName = new Map(hosts.map((h) => [h.name, h]));

  for (const h of hosts) {
    if (!h.reachable) add('degraded', `not reached: ${h.error ?? 'no answer'}`, h.name);
    for (const [role, facts] of [['zookeeper', h.zookeeper], ['kafka', h.kafka]] as const) {
      if (!facts) continue;
      if (facts.unit.active !== 'active') add('degraded', `${role} is ${facts.unit.active || 'not installed (no such unit)'}`, h.name);
      else if (facts.unit.enabled !== 'enabled') add('warning', `${role} runs but is ${facts.unit.enabled || 'not'} enabled: it will not start after a reboot`, h.name);
      for (const d of facts.data_dirs) {
        if (d.error) add('warning', `${role} data directory ${d.path}: ${d.error}`, h.name);
        else if ((d.used_percent ?? 0) >= DISK_FULL_PERCENT) add('degraded', `${role} data directory ${d.path} is ${d.used_percent}% full`, h.name);
      }
    }
    if (h.zookeeper && h.zookeeper.unit.active === 'active' && !SERVING.has(h.zookeeper.mode ?? '')) {
      add('degraded', `zookeeper runs but does not serve (${h.zookeeper.mode ?? h.zookeeper.error ?? 'no answer'})`, h.name);
    }
    for (const l of h.kafka?.unit.active === 'active' ? h.kafka.listeners : []) {
      if (!l.reachable) add('degraded', `listener ${l.listener} does not accept connections`, h.name);
    }
  }

  let zookeeper: ZookeeperCluster | undefined;
  if (input.zookeeperMembers.length) {
    const serving = input.zookeeperMembers.filter((m) => SERVING.has(byName.get(m)?.zookeeper?.mode ?? ''));
    const leader = input.zookeeperMembers.find((m) => ['leader', 'standalone'].includes(byName.get(m)?.zookeeper?.mode ?? ''));
    const quorum = serving.length * 2 > input.zookeeperMembers.length && leader !== undefined;
    zookeeper = { members: input.zookeeperMembers, serving, ...(leader ? { leader } : {}), quorum };
    if (!quorum) add('down', `ZooKeeper has no quorum: ${serving.length} of ${input.zookeeperMembers.length} members serve${serving.length ? ` (${serving.join(', ')})` : ''}${leader ? '' : ', no leader'}`);
  }

  let kafka: KafkaClusterFacts | undefined;
  if (input.kafka) {
    const expected = input.brokers.flatMap((b) => (b.id === undefined ? [] : [b.id]));
    const c = input.kafka.cluster;
    // ZooKeeper's controller, or on KRaft the quorum's leader (kafka-read.ts): with dedicated
    // controllers that is none of the brokers.
    const controller = c?.controller;
    const registered = c ? [...c.alive].sort((a, b) => a - b) : [];
    const offline = c ? c.partitions.filter((p) => p.leader === null).map(label) : [];
    const underReplicated = c ? c.partitions.filter((p) => p.leader !== null && p.isr.length < p.replicas.length).map(label) : [];
    const underMinIsr = c ? c.partitions.filter((p) => p.leader !== null && p.isr.length < p.minIsr).map(label) : [];
    kafka = {
      expected,
      registered,
      ...(controller !== undefined ? { active_controller: controller } : {}),
      ...(c ? { topics: c.topics.size, partitions: c.partitions.length } : {}),
      under_replicated: underReplicated,
      offline,
      under_min_isr: underMinIsr,
      ...(input.kafka.from ? { read_from: input.kafka.from } : {}),
      ...(input.kafka.error ? { error: input.kafka.error } : {}),
    };
    if (!c) add('down', `the partitions cannot be read: ${input.kafka.error ?? 'no broker host was reached'}`);
    else {
      if (registered.length === 0) add('down', 'no broker answers');
      if (offline.length) add('down', `${offline.length} partition(s) offline (no leader): ${list(offline)}`);
      if (underMinIsr.length) add('degraded', `${underMinIsr.length} partition(s) under min.insync.replicas, acks=all writes fail: ${list(underMinIsr)}`);
      if (underReplicated.length) add('degraded', `${underReplicated.length} partition(s) under-replicated: ${list(underReplicated)}`);
      for (const b of input.brokers) {
        if (b.id !== undefined && !registered.includes(b.id)) add('degraded', `broker ${b.id} is not registered with the cluster`, b.host);
      }
      if (input.kafka.warning) add('warning', input.kafka.warning);
      const strangers = registered.filter((id) => !expected.includes(id));
      if (strangers.length) add('warning', `broker(s) ${strangers.join(', ')} answer but are not in the inventory`);
    }
    for (const b of input.brokers) {
      const facts = byName.get(b.host)?.kafka;
      if (!facts) continue;
      if (c) facts.registered = b.id !== undefined && registered.includes(b.id);
      if (controller !== undefined) facts.active_controller = b.id === controller;
    }
  }

  problems.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const health: Health = problems.some((p) => p.severity === 'down') ? 'down' : problems.some((p) => p.severity === 'degraded') ? 'degraded' : 'healthy';
  return {
    format: 'runbook-status/1',
    time: input.time,
    ...(input.inventory ? { inventory: input.inventory } : {}),
    health,
    problems,
    hosts,
    cluster: { ...(zookeeper ? { zookeeper } : {}), ...(kafka ? { kafka } : {}) },
  };
}
