// One connection per inventory host for the whole run. Every step on a host goes through the same
// transport (for SSH: one TCP connection with multiplexed channels), opened the first time a step
// needs it. Concurrent first requests share a single connect.

import type { Inventory } from '../model.js';
import { openTransport, type ConnectOptions, type OpenedTransport } from './connect.js';

export class ConnectionPool {
  private readonly opened = new Map<string, Promise<OpenedTransport>>();
  private readonly options: ConnectOptions;

  constructor(
    private readonly inventory: Inventory,
    options: ConnectOptions,
  ) {
    this.options = {
      ...options,
      knownHostsFile: options.knownHostsFile ?? inventory.knownHostsFile,
      lookupHost: options.lookupHost ?? ((name) => inventory.hosts.get(name)),
    };
  }

  /**
   * The host's transport, connected. The first call opens it; later calls reuse it, and
   * reconnect it if the connection dropped since (Transport.connect is idempotent). A failed open
   * is forgotten, so a later call tries again.
   */
  async get(host: string): Promise<OpenedTransport> {
    let opening = this.opened.get(host);
    if (!opening) {
      opening = this.open(host);
      this.opened.set(host, opening);
      opening.catch(() => {
        if (this.opened.get(host) === opening) this.opened.delete(host);
      });
    }
    const opened = await opening;
    await opened.transport.connect();
    return opened;
  }

  private async open(name: string): Promise<OpenedTransport> {
    const host = this.inventory.hosts.get(name);
    if (!host) throw new Error(`no host ${JSON.stringify(name)} in the inventory`);
    const opened = await openTransport(host, this.options);
    await opened.transport.connect();
    return opened;
  }

  /** Close every connection the pool opened; the pool can be used again afterwards. */
  async closeAll(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(
      all.map(async (opening) => {
        const opened = await opening.catch(() => undefined);
        await opened?.transport.close();
      }),
    );
  }
}
