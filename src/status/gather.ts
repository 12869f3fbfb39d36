// Asking every host at once for `runbook status`: each host's probe (one round trip) and newest
// history record, and the partitions from one broker (kafka-read.ts, started at once beside the
// probes). Read-only: no lock, no journal. Roles, and the ports and paths the shipped runbooks
// use, come from the inventory (groups zookeeper, kafka and controller, zookeeper_client_port,
// kafka_port, service_user, broker_id).

import type { Inventory } from '../model.js';
import type { ReachedHost } from '../cli/reach.js';
import { groupHosts, inventoryVars } from '../load/inventory-query.js';
import { lockedHost, readHistory } from '../engine/host-record.js';
import type { HostShell } from '../transport/host.js';
import { assess } from './assess.js';
import { readPartitions } from './kafka-read.js';
import { probeHost } from './probe.js';
import { numberVar, rolesOf, rootShell } from './roles.js';
import type { HostFacts, StatusReport } from './report.js';

async function lastRun(h: ReachedHost, shell: HostShell): Promise<HostFacts['last_run']> {
  const locked = h.host.connection === 'ssh' ? lockedHost(h.host, h.login!, h.vars) : undefined;
  if (!locked) return undefined;
  const [r] = await readHistory(shell, locked.dir, 1);
  if (!r) return undefined;
  return { run: r.run, runbook: r.runbook, operator: r.operator, controller: r.controller, start: r.start, ...(r.end ? { end: r.end } : {}), result: r.result, changed: r.changed.length };
}

export async function gatherStatus(inventory: Inventory, reached: ReachedHost[]): Promise<StatusReport> {
  const time = new Date().toISOString();
  const zookeeper = new Set(groupHosts(inventory, 'zookeeper'));
  const kafka = new Set(groupHosts(inventory, 'kafka'));
  // Dedicated KRaft controllers run Kafka too (process.roles=controller): probed as its nodes, but
  // not brokers, so never expected among the registered ones.
  const kafkaNodes = new Set([...kafka, ...groupHosts(inventory, 'controller')]);
  const asked = new Set(reached.map((h) => h.name));
  const probes = Promise.all(
    reached.map(async (h): Promise<HostFacts> => {
      if (!h.login) return { name: h.name, reachable: false, error: h.error ?? 'not reached' };
      try {
        const shell = rootShell(h);
        const [probe, run] = await Promise.all([probeHost(shell, rolesOf(h, zookeeper, kafkaNodes)), lastRun(h, shell).catch(() => undefined)]);
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
