// Several inventory hosts may be one machine: seeds/004's three ZooKeeper members and three brokers
// on one VM are six inventory hosts sharing an address, each an instance with its own unit, paths
// and ports. On one machine, steps of different members must not run at once: two `apt-get`s
// fight over dpkg's lock, two extractions of one release race in one directory. So a machine runs
// one member's step at a time (Ansible runs them in parallel, and its apt fails on the lock), and
// its run lock and history line are the machine's, taken once.

import type { InventoryHost } from '../model.js';
import { limiter, type Limiter } from './limit.js';

/**
 * The machine an inventory host is: where its SSH connection lands (through its jump host, if
 * any). Hosts with `connection: local` are each their own: they stand for machines in tests and
 * run controller-side work, and the project lock already keeps one run at a time there.
 */
export function machineOf(host: InventoryHost): string {
  if (host.connection !== 'ssh') return `local ${host.name}`;
  return `${host.jumpHost ? `${host.jumpHost} > ` : ''}${host.address.toLowerCase()}:${host.port ?? 22}`;
}

/** One step at a time per machine, across all its members. */
export class Machines {
  private readonly slots = new Map<string, Limiter>();

  run<T>(host: InventoryHost, work: () => Promise<T>): Promise<T> {
    const key = machineOf(host);
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = limiter(1)));
    return slot(work);
  }
}
