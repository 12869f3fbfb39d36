// What the inventory says a status host is: its roles (the zookeeper, kafka and controller
// groups), the ports and paths the shipped runbooks give it (zookeeper_client_port, kafka_port,
// service_user, broker_id), and the root shell it is read with.

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

/** The suffix of one of several members on a machine (the runbooks' `instance` var), else ''. */
export const instanceOf = (vars: Vars): string => {
  const v = vars.instance;
  return typeof v === 'number' || (typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v)) ? String(v) : '';
};

export function rolesOf(h: ReachedHost, zookeeper: Set<string>, kafka: Set<string>): HostRoles {
  const home = `/home/${serviceUser(h.vars)}`;
  const brokerId = numberVar(h.vars, 'broker_id');
  const i = instanceOf(h.vars);
  return {
    name: h.name,
    ...(zookeeper.has(h.name) ? { zookeeper: { unit: `zookeeper${i}`, clientPort: numberVar(h.vars, 'zookeeper_client_port', 2181)!, configFallback: `${home}/zookeeper${i}/conf/zoo${i}.cfg`, home: `${home}/zookeeper${i}` } } : {}),
    ...(kafka.has(h.name) ? { kafka: { unit: `kafka${i}`, ...(brokerId !== undefined ? { brokerId } : {}), configFallback: `${home}/kafka${i}/config/server${i}.properties` } } : {}),
  };
}

/** A root shell: the probe reads other users' /proc/<pid>/fd and data directories. */
export function rootShell(h: ReachedHost): HostShell {
  return h.login!.withBecome(resolveBecome({ become: true, becomeUser: 'root' }, h.host, h.vars));
}

