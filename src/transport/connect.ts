// Opens the transport an inventory host asks for. The engine, rollback and the lab all come
// through here, so how a host is reached is decided in one place.

import type { InventoryHost } from '../model.js';
import { LocalTransport } from './local.js';
import type { Transport } from './types.js';
import { userInfo } from 'node:os';

export interface ConnectOptions {
  /** OpenSSH's StrictHostKeyChecking=accept-new: record unknown host keys instead of refusing. */
  acceptNewHostKeys?: boolean;
  /** known_hosts file for every host (the inventory's), instead of ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Other inventory hosts, to resolve a jump host given by inventory name. */
  lookupHost?: (name: string) => InventoryHost | undefined;
}

export interface OpenedTransport {
  transport: Transport;
  /** The user the transport logs in as (become is a no-op when it is the wanted user). */
  loginUser: string;
}

export async function openTransport(host: InventoryHost, _options: ConnectOptions = {}): Promise<OpenedTransport> {
  if (host.connection === 'local') {
    return { transport: new LocalTransport(host.name), loginUser: userInfo().username };
  }
  throw new Error('the SSH transport is not built yet'); // replaced by the SSH transport (issue 3)
}
