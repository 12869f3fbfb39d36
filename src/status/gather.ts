// Asking every host at once for `runbook status`: each host's probe (one round trip), its newest
// history record, and the partitions from one broker through that broker host's SSH connection
// (Kafka's own protocol, started at once beside the probes). Read-only: no lock, no journal. Roles and the ports and paths the
// shipped runbooks use come from the inventory (groups zookeeper and kafka, zookeeper_client_port,
// kafka_port, service_user, broker_id).

import type { Inventory, Vars } from '../model.js';
import type { ReachedHost } from '../cli/reach.js';
import { groupHosts, inventoryVars } from '../load/inventory-query.js';
import { lockedHost, readHistory } from '../engine/host-record.js';
import { resolveBecome } from '../transport/become.js';
import { CommandError, type HostShell } from '../transport/host.js';
import { ForwardingRefused } from '../transport/ssh.js';
import { TaskError } from '../errors.js';
import { readKafkaCluster, type KafkaCluster } from '../sdk/kafka-cluster.js';
import { partitionStates, type TopicInfo } from '../sdk/kafka-health.js';
import { KafkaConnection, type WireMetadata } from './kafka-protocol.js';
import { assess, type ClusterRead } from './assess.js';
import { probeHost, type HostRoles } from './probe.js';
import type { HostFacts, StatusReport } from './report.js';

const numberVar = (vars: Vars, name: string, fallback?: number): number | undefined => {
  const v = vars[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  return n ?? fallback;
};
const serviceUser = (vars: Vars) => (typeof vars.service_user === 'string' && vars.service_user ? vars.service_user : 'kafka');

function rolesOf(h: ReachedHost, zookeeper: Set<string>, kafka: Set<string>): HostRoles {
  const home = `/home/${serviceUser(h.vars)}`;
  const brokerId = numberVar(h.vars, 'broker_id');
  return {
    name: h.name,
    ...(zookeeper.has(h.name) ? { zookeeper: { clientPort: numberVar(h.vars, 'zookeeper_client_port', 2181)!, configFallback: `${home}/zookeeper/conf/zoo.cfg`, home: `${home}/zookeeper` } } : {}),
    ...(kafka.has(h.name) ? { kafka: { ...(brokerId !== undefined ? { brokerId } : {}), configFallback: `${home}/kafka/config/server.properties` } } : {}),
  };
}

/** A root shell: the probe reads other users' /proc/<pid>/fd and data directories. */
function rootShell(h: ReachedHost): HostShell {
  return h.login!.withBecome(resolveBecome({ become: true, becomeUser: 'root' }, h.host, h.vars));
}

async function lastRun(h: ReachedHost, shell: HostShell): Promise<HostFacts['last_run']> {
  const locked = h.host.connection === 'ssh' ? lockedHost(h.host, h.login!, h.vars) : undefined;
  if (!locked) return undefined;
  const [r] = await readHistory(shell, locked.dir, 1);
  if (!r) return undefined;
  return { run: r.run, runbook: r.runbook, operator: r.operator, controller: r.controller, start: r.start, ...(r.end ? { end: r.end } : {}), result: r.result, changed: r.changed.length };
}

/** Seconds a broker, or a Kafka tool, may take to answer a status: an answer later than that is a problem in itself. */
const ANSWER_TIMEOUT_S = 10;

interface Bootstrap {
  host: string;
  port: number;
}

/**
 * Seconds DescribeConfigs may take. A broker answers Metadata from its cache but DescribeConfigs
 * only through ZooKeeper (or the quorum): without them the partitions are still shown, min ISR
 * unknown, instead of nothing after the full limit.
 */
const CONFIGS_TIMEOUT_S = 3;

/** The cluster as Kafka's Metadata and DescribeConfigs answer it, asked through the host's SSH connection. */
async function readOverWire(shell: HostShell, bootstrap: Bootstrap[]): Promise<{ cluster: KafkaCluster; warning?: string }> {
  let refused: Error | undefined;
  for (const b of bootstrap) {
    let socket;
    try {
      socket = await shell.transport.openTcp(b.host, b.port);
    } catch (e) {
      if (e instanceof ForwardingRefused) throw e;
      refused = e as Error;
      continue;
    }
    const kafka = new KafkaConnection(socket, ANSWER_TIMEOUT_S * 1000);
    try {
      const metadata = await kafka.metadata();
      const names = metadata.topics.filter((t) => t.error === 0).map((t) => t.name);
      try {
        return { cluster: clusterOf(metadata, await kafka.topicConfigs(names, ['min.insync.replicas'], CONFIGS_TIMEOUT_S * 1000)) };
      } catch (e) {
        return { cluster: clusterOf(metadata, new Map()), warning: `min.insync.replicas could not be read (${(e as Error).message}): partitions under it are counted as if it were 1` };
      }
    } catch (e) {
      throw new TaskError(`cannot read the partitions from ${b.host}:${b.port}: ${(e as Error).message}`);
    } finally {
      kafka.close();
    }
  }
  throw new TaskError(`no broker accepts connections (${bootstrap.map((b) => `${b.host}:${b.port}`).join(', ')}): ${refused?.message ?? 'none to ask'}`);
}

function clusterOf(metadata: WireMetadata, configs: Map<string, Map<string, string>>): KafkaCluster {
  const topics = new Map<string, TopicInfo>();
  for (const t of metadata.topics.filter((t) => t.error === 0)) {
    const minIsr = Number(configs.get(t.name)?.get('min.insync.replicas'));
    const partitions = [...t.partitions].sort((a, b) => a.partition - b.partition);
    topics.set(t.name, {
      name: t.name,
      partitionCount: partitions.length,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      ...(Number.isInteger(minIsr) && minIsr > 0 ? { minIsr } : {}),
      partitions: partitions.map((p) => ({ partition: p.partition, leader: p.leader < 0 ? null : p.leader, replicas: p.replicas, isr: p.isr })),
    });
  }
  return {
    topics,
    partitions: partitionStates(topics, 1),
    defaultMinIsr: 1,
    alive: metadata.brokers.map((b) => b.id).sort((a, b) => a - b),
    ...(metadata.controller >= 0 ? { controller: metadata.controller } : {}),
  };
}

/**
 * The partitions, asked through the first reached broker host: over its SSH connection with
 * Kafka's protocol, or with its Kafka tools where its sshd forwards nothing. The next host is tried
 * only when the first could not ask at all (tools missing, host gone): a cluster that does not
 * answer one host would not answer the next either.
 */
async function readPartitions(candidates: ReachedHost[], bootstrap: Bootstrap[], after?: Promise<unknown>): Promise<ClusterRead> {
  let error = 'no broker host was reached';
  for (const [i, h] of candidates.entries()) {
    // The first host is asked at once; the others only if it fails, once the probes are in.
    if (i === 1 && after) await after;
    const shell = rootShell(h);
    try {
      return { from: h.name, ...(await readOverWire(shell, bootstrap)) };
    } catch (e) {
      if (!(e instanceof ForwardingRefused)) return { from: h.name, error: (e as Error).message };
    }
    // Where sshd forwards nothing, the host's own Kafka tools are asked instead.
    try {
      const list = bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
      return { from: h.name, cluster: await readKafkaCluster(shell, { bootstrap: list, kafkaHome: `/home/${serviceUser(h.vars)}/kafka`, controller: true, toolTimeout: ANSWER_TIMEOUT_S * 2 }) };
    } catch (e) {
      if (e instanceof TaskError && !(e instanceof CommandError)) return { from: h.name, error: e.message };
      error = `${h.name}: ${(e as Error).message}`;
    }
  }
  return { error };
}

export async function gatherStatus(inventory: Inventory, reached: ReachedHost[]): Promise<StatusReport> {
  const time = new Date().toISOString();
  const zookeeper = new Set(groupHosts(inventory, 'zookeeper'));
  const kafka = new Set(groupHosts(inventory, 'kafka'));
  const asked = new Set(reached.map((h) => h.name));
  const probes = Promise.all(
    reached.map(async (h): Promise<HostFacts> => {
      if (!h.login) return { name: h.name, reachable: false, error: h.error ?? 'not reached' };
      try {
        const shell = rootShell(h);
        const [probe, run] = await Promise.all([probeHost(shell, rolesOf(h, zookeeper, kafka)), lastRun(h, shell).catch(() => undefined)]);
        return { name: h.name, reachable: true, ...probe, ...(run ? { last_run: run } : {}) };
      } catch (e) {
        return { name: h.name, reachable: false, error: (e as Error).message };
      }
    }),
  );
  const brokerHosts = [...kafka];
  const bootstrap = brokerHosts.map((name) => ({ host: name, port: numberVar(inventoryVars(inventory, name), 'kafka_port', 9092)! }));
  // A --limit that leaves out every broker still reads the partitions: from the hosts asked, if any is a broker.
  const candidates = reached.filter((h) => h.login && kafka.has(h.name));
  const partitions = kafka.size && candidates.length ? readPartitions(candidates, bootstrap, probes) : undefined;
  const hosts = await probes;
  return assess({
    time,
    ...(inventory.file ? { inventory: inventory.file } : {}),
    hosts,
    zookeeperMembers: [...zookeeper].filter((m) => asked.has(m)),
    brokers: brokerHosts.filter((b) => asked.has(b)).map((host) => {
      const id = hosts.find((h) => h.name === host)?.kafka?.broker_id ?? numberVar(inventoryVars(inventory, host), 'broker_id');
      return { host, ...(id !== undefined ? { id } : {}) };
    }),
    ...(kafka.size && [...kafka].some((b) => asked.has(b)) ? { kafka: partitions ? await partitions : { error: 'no broker host was reached' } } : {}),
  });
}
