// What the inventory says a status host is: its roles (the zookeeper and kafka groups), the ports
// and paths the shipped runbooks give it (zookeeper_client_port, kafka_port, service_user,
// broker_id), and the root shell it is read with.

import type { Vars } from '../model.js';
import type { ReachedHost } from '../cli/reach.js';
import { resolveBecome } from '../transport/become.js';
import type { HostShell } from '../transport/host.js';
import type { HostRoles } from './probe.js';

export const numberVar = (vars: Vars, name: string, fallback?: number): number | undefined => {
  const v = vars[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  return n ?? fallback;
};
export const serviceUser = (vars: Vars) => (typeof vars.service_user === 'string' && vars.service_user ? vars.service_user : 'kafka');

export function rolesOf(h: ReachedHost, zookeeper: Set<string>, kafka: Set<string>): HostRoles {
  const home = `/home/${serviceUser(h.vars)}`;
  const brokerId = numberVar(h.vars, 'broker_id');
  return {
    name: h.name,
    ...(zookeeper.has(h.name) ? { zookeeper: { clientPort: numberVar(h.vars, 'zookeeper_client_port', 2181)!, configFallback: `${home}/zookeeper/conf/zoo.cfg`, home: `${home}/zookeeper` } } : {}),
    ...(kafka.has(h.name) ? { kafka: { ...(brokerId !== undefined ? { brokerId } : {}), configFallback: `${home}/kafka/config/server.properties` } } : {}),
  };
}

/** A root shell: the probe reads other users' /proc/<pid>/fd and data directories. */
export function rootShell(h: ReachedHost): HostShell {
  return h.login!.withBecome(resolveBecome({ become: true, becomeUser: 'root' }, h.host, h.vars));
}

