// Reaching the hosts of an inventory for a read-only look (history, unlock, status): one
// connection each, in parallel, with the inventory's own SSH settings; a host that cannot be
// reached is reported, not thrown, so the others are still shown.

import type { HostShell } from '../transport/host.js';
import type { Inventory, InventoryHost, Vars } from '../model.js';

export interface ReachFlags {
  inventory?: string;
  acceptNewHostKeys?: boolean;
}

export interface ReachedHost {
  name: string;
  host: InventoryHost;
  vars: Vars;
  /** The login shell; absent when the host could not be reached (then `error` says why). */
  login?: HostShell;
  error?: string;
}

export interface Reached {
  inventory: Inventory;
  hosts: ReachedHost[];
  close(): Promise<void>;
}

/** The hosts `pattern` names (every host without one), connected. */
export async function reach(flags: ReachFlags, pattern: string | undefined): Promise<Reached> {
  const [{ openProject }, { loadInventory }, { defaultInventory }, { matchHosts }, { inventoryVars }, { ConnectionPool }, { HostShell }, { UserError }] = await Promise.all([
    import('./context.js'),
    import('../load/inventory.js'),
    import('../project/library.js'),
    import('../load/patterns.js'),
    import('../load/inventory-query.js'),
    import('../transport/pool.js'),
    import('../transport/host.js'),
    import('../errors.js'),
  ]);
  const project = await openProject();
  const inventory = await loadInventory(flags.inventory ?? defaultInventory(project.library));
  const names = pattern === undefined ? [...inventory.hosts.keys()] : matchHosts(pattern, inventory);
  if (names.length === 0) throw new UserError('usage', `${pattern} matches no host of the inventory`);
  const pool = new ConnectionPool(inventory, { acceptNewHostKeys: flags.acceptNewHostKeys ?? false });
  const hosts = await Promise.all(
    names.map(async (name): Promise<ReachedHost> => {
      const base = { name, host: inventory.hosts.get(name)!, vars: inventoryVars(inventory, name) };
      try {
        const opened = await pool.get(name);
        return { ...base, login: new HostShell(opened.transport, opened.loginUser) };
      } catch (e) {
        return { ...base, error: (e as Error).message };
      }
    }),
  );
  return { inventory, hosts, close: () => pool.closeAll() };
}
