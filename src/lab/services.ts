// The controller-side services a lab's hosts use, bound to the bridge address only: an
// apt-cacher-ng proxy (packages cached across labs) and the artifact mirror.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'node:net';
import { APT_CACHE_DIR, ARTIFACTS_DIR, ASSETS_DIR } from './paths.js';
import { startDaemon, isAlive, type ProcessRef } from './process.js';
import { UserError } from '../errors.js';

export const APT_PROXY_PORT = 3142;
export const MIRROR_PORT = 8080;

export function portOpen(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: address, port, timeout: timeoutMs });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Something else (the distro's apt-cacher-ng service on 0.0.0.0, say) already holds our port. */
async function refuseTakenPort(what: string, address: string, port: number): Promise<void> {
  if (!(await portOpen(address, port))) return;
  throw new UserError('lab', `cannot start the lab's ${what}: something on this machine already listens on ${address}:${port}`, {
    hint:
      port === APT_PROXY_PORT
        ? 'stop the distro\'s apt-cacher-ng service (`systemctl disable --now apt-cacher-ng`): the lab runs its own'
        : `find it with \`ss -ltnp 'sport = :${port}'\` and stop it`,
  });
}

async function waitListening(ref: ProcessRef, what: string, address: string, port: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(address, port))) {
    if (!(await isAlive(ref)) || Date.now() > deadline) throw new Error(`${what} did not start listening on ${address}:${port} (see ${logFile})`);
    await sleep(100);
  }
}

/**
 * apt-cacher-ng with a config of our own (not the distro's service): pass everything through,
 * no remap lines, so hosts' apt sources name the real mirror and the proxy caches by URL.
 */
export async function startAptProxy(stateDir: string, address: string): Promise<ProcessRef> {
  const confDir = join(stateDir, 'apt-cacher-ng');
  await mkdir(join(confDir, 'log'), { recursive: true });
  await mkdir(APT_CACHE_DIR, { recursive: true });
  await writeFile(
    join(confDir, 'acng.conf'),
    [
      `CacheDir: ${APT_CACHE_DIR}`,
      `LogDir: ${join(confDir, 'log')}`,
      `Port: ${APT_PROXY_PORT}`,
      `BindAddress: ${address}`,
      `SocketPath: ${join(confDir, 'socket')}`,
      `PidFile: ${join(confDir, 'pid')}`,
      'PassThroughPattern: .*',
      'ForeGround: 1',
      '',
    ].join('\n'),
  );
  const logFile = join(confDir, 'log', 'console.log');
  await refuseTakenPort('apt proxy', address, APT_PROXY_PORT);
  const ref = await startDaemon('apt-cacher-ng', ['-c', confDir], logFile);
  await waitListening(ref, 'apt-cacher-ng', address, APT_PROXY_PORT, logFile);
  return ref;
}

export async function startMirror(stateDir: string, address: string): Promise<ProcessRef> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const logFile = join(stateDir, 'mirror.log');
  await refuseTakenPort('artifact mirror', address, MIRROR_PORT);
  const ref = await startDaemon(process.execPath, [join(ASSETS_DIR, 'mirror-server.mjs'), address, String(MIRROR_PORT), ARTIFACTS_DIR], logFile);
  await waitListening(ref, 'the artifact mirror', address, MIRROR_PORT, logFile);
  return ref;
}
