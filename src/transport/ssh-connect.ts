// Opening one authenticated ssh2 connection to an endpoint: through its bastions (forwardOut on
// the bastion's own verified connection), with the host key checked against known_hosts, and
// every failure turned into a message that says which host, which address, and what to do.

import ssh2, { type Client, type ClientChannel } from 'ssh2';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnreachableError, UserError } from '../errors.js';
import { quote } from '../shell/quote.js';
import {
  appendKnownHost,
  entriesFor,
  fingerprint,
  type HostKeyVerdict,
  keyType,
  knownHostsName,
  preferredHostKeyAlgorithms,
  verdict,
} from './known-hosts.js';
import { authFor, type Auth } from './ssh-auth.js';
import type { SshEndpoint } from './ssh-endpoint.js';

export interface SshSettings {
  /** known_hosts files to verify against; accepted new keys are recorded in the first. */
  knownHostsFiles: string[];
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** Delays before the 2nd and 3rd connect attempt; only network-level failures are retried. */
const RETRY_DELAYS_MS = [500, 1500];

// Failures worth another attempt (refused, reset, timed out), as opposed to a refused host key
// or failed authentication, which would fail the same way again.
const transient = new WeakSet<Error>();

/** An authenticated client for the endpoint; connect attempts are retried with backoff. */
export async function openClient(endpoint: SshEndpoint, settings: SshSettings): Promise<Client> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openChain(endpoint, settings);
    } catch (e) {
      if (!(e instanceof Error) || !transient.has(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
      await sleep(RETRY_DELAYS_MS[attempt]);
    }
  }
}

async function openChain(endpoint: SshEndpoint, settings: SshSettings): Promise<Client> {
  if (!endpoint.via) return handshake(endpoint, settings);
  const bastion = await openChain(endpoint.via, settings);
  // The target's connection reports a lost bastion (its socket closes); nothing to add here.
  bastion.on('error', () => {});
  try {
    const sock = await forward(bastion, endpoint, endpoint.via);
    const client = await handshake(endpoint, settings, sock);
    client.on('close', () => bastion.end());
    return client;
  } catch (e) {
    bastion.end();
    throw e;
  }
}

function forward(bastion: Client, endpoint: SshEndpoint, via: SshEndpoint): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, endpoint.address, endpoint.port, (err, channel) => {
      if (!err) return resolve(channel);
      const e = new UnreachableError(
        endpoint.label,
        `cannot reach ${describe(endpoint)} through the jump host ${describe(via)}: ${err.message}`,
        { hint: `check that ${via.label} can reach ${endpoint.address}:${endpoint.port}` },
      );
      transient.add(e);
      reject(e);
    });
  });
}

async function handshake(endpoint: SshEndpoint, settings: SshSettings, sock?: ClientChannel): Promise<Client> {
  const name = knownHostsName(endpoint.address, endpoint.port);
  const entries = await entriesFor(settings.knownHostsFiles, name);
  const auth = authFor(endpoint);
  const client = new ssh2.Client();
  let refusal: Error | undefined;

  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      client.off('ready', onReady).off('error', onError).off('close', onClose);
      client.on('error', () => {});
      client.end();
      reject(e);
    };
    const onReady = () => {
      client.off('error', onError).off('close', onClose);
      resolve(client);
    };
    const onError = (err: Error & { level?: string; code?: string }) =>
      fail(refusal ?? auth.fatal() ?? connectError(endpoint, err, auth, settings));
    const onClose = () => {
      const e = refusal ?? new UnreachableError(endpoint.label, `${describe(endpoint)} closed the connection during the SSH handshake`);
      if (!refusal) transient.add(e);
      fail(e);
    };
    client.once('ready', onReady).on('error', onError).on('close', onClose);

    client.connect({
      ...(sock ? { sock } : { host: endpoint.address }),
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: settings.connectTimeoutMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: settings.keepaliveCountMax,
      authHandler: auth.handler,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(entries) as ssh2.ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        const found = verdict(entries, key);
        if (found.status === 'known') return verify(true);
        if (found.status === 'unknown' && settings.acceptNewHostKeys) {
          appendKnownHost(settings.knownHostsFiles[0], name, key).then(
            () => verify(true),
            (e: Error) => {
              refusal = e;
              verify(false);
            },
          );
          return;
        }
        refusal = hostKeyError(endpoint, name, found, key, settings.knownHostsFiles);
        verify(false);
      },
    });
    // Each exec is several small request/reply packets: Nagle's algorithm would hold them back
    // waiting for delayed ACKs (tens of ms per round trip).
    client.setNoDelay(true);
  });
}

function hostKeyError(endpoint: SshEndpoint, name: string, found: HostKeyVerdict, key: Buffer, files: string[]): UserError {
  const offered = `${keyType(key)} ${fingerprint(key)}`;
  const host = endpoint.label;
  if (found.status === 'changed') {
    const { file, line } = found.entry;
    return new UserError(
      'host-key',
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${describe(endpoint)}: it offered the host key ${offered}, ` +
        `which is not the one recorded for ${name}${found.entry.type !== keyType(key) ? ` (it is known by its ${found.entry.type} key)` : ''}. Someone could be eavesdropping on you right now ` +
        `(possible man-in-the-middle attack), or the host key has just been changed. ` +
        `Offending key in ${file}:${line}`,
      {
        host,
        hint: `if the change is expected (the host was rebuilt), remove the old key with \`ssh-keygen -f ${quote(file)} -R ${quote(name)}\` and connect with --accept-new-host-keys`,
      },
    );
  }
  if (found.status === 'revoked') {
    return new UserError('host-key', `the host key ${offered} of ${describe(endpoint)} is marked @revoked in ${found.entry.file}:${found.entry.line}`, {
      host,
      hint: 'the host needs a new host key',
    });
  }
  return new UserError(
    'host-key',
    `the host key of ${describe(endpoint)} is not known: ${name} has no ${keyType(key)} key in ${files.join(' or ')} (it offered ${offered})`,
    { host, hint: `check the fingerprint, then run again with --accept-new-host-keys to record it, or add the key to ${files[0]}` },
  );
}

function connectError(endpoint: SshEndpoint, err: Error & { level?: string; code?: string }, auth: Auth, settings: SshSettings): UnreachableError {
  const where = describe(endpoint);
  if (err.level === 'client-authentication') {
    return new UnreachableError(endpoint.label, `authentication as ${endpoint.user} to ${where} failed: ${auth.summary()}`, {
      hint: 'check the user and key in the inventory or ~/.ssh/config, or add the key to ssh-agent',
      cause: err,
    });
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is sshd running on that port?)',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'no route to host',
    ENETUNREACH: 'network unreachable',
    EAI_AGAIN: 'name lookup failed temporarily',
    ENOTFOUND: 'unknown host name',
  };
  const timedOut = err.level === 'client-timeout';
  const reason = timedOut ? `no SSH handshake within ${settings.connectTimeoutMs} ms` : (err.code && reasons[err.code]) || err.message;
  const e = new UnreachableError(endpoint.label, `cannot connect to ${where}: ${reason}`, {
    hint: 'check that the host is up and the address and port in the inventory are right',
    cause: err,
  });
  if (timedOut || (err.code && err.code !== 'ENOTFOUND' && err.code in reasons)) transient.add(e);
  return e;
}

/** `kafka01 (10.0.0.5:22)`: the inventory name and where it was reached. */
export function describe(endpoint: SshEndpoint): string {
  return `${endpoint.label} (${endpoint.address}:${endpoint.port})`;
}
