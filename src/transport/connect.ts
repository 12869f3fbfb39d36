// Opens the transport an inventory host asks for. The engine, rollback and the lab all come
// through here, so how a host is reached is decided in one place.

import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { InventoryHost } from '../model.js';
import { AgentTransport, persistSeconds } from './agent-transport.js';
import { LocalTransport } from './local.js';
import { readSshConfig } from './ssh-config.js';
import { endpointForHost } from './ssh-endpoint.js';
import type { Transport } from './types.js';

export interface ConnectOptions {
  /** OpenSSH's StrictHostKeyChecking=accept-new: record unknown host keys instead of refusing. */
  acceptNewHostKeys?: boolean;
  /** known_hosts file for every host (the inventory's), instead of ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Other inventory hosts, to resolve a jump host given by inventory name. */
  lookupHost?: (name: string) => InventoryHost | undefined;
  /** ssh config file instead of ~/.ssh/config. */
  sshConfigFile?: string;
  /** Channels open at once per SSH connection (default 8; keep below the server's MaxSessions). */
  maxSessions?: number;
  /** Time allowed for TCP connect plus SSH handshake, per attempt (default 15 s). */
  connectTimeoutMs?: number;
}

export interface OpenedTransport {
  transport: Transport;
  /** The user the transport logs in as (become is a no-op when it is the wanted user). */
  loginUser: string;
}

export async function openTransport(host: InventoryHost, options: ConnectOptions = {}): Promise<OpenedTransport> {
  if (host.connection === 'local') {
    return { transport: new LocalTransport(host.name), loginUser: userInfo().username };
  }
  const endpoint = endpointForHost(host, { config: await readSshConfig(options.sshConfigFile), lookupHost: options.lookupHost });
  const settings = {
    knownHostsFiles: options.knownHostsFile
      ? [options.knownHostsFile]
      : [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    keepaliveIntervalMs: 15_000,
    keepaliveCountMax: 3,
    maxSessions: options.maxSessions ?? 8,
  };
  // With RUNBOOK_CONTROL_PERSIST the connection is the agent's, kept between runs; ssh2 is then
  // loaded by the agent alone.
  const persist = persistSeconds();
  const transport = persist
    ? new AgentTransport(host.name, endpoint, settings, persist)
    : new (await import('./ssh.js')).SshTransport(host.name, endpoint, settings);
  return { transport, loginUser: endpoint.user };
}
