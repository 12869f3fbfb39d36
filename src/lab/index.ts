// The lab: throwaway Debian hosts on this machine (systemd + sshd in namespaces on a bridge), with
// an apt proxy and an artifact mirror, described by an Ansible-format inventory.
//
//   labUp({ hosts: 3 })  -> LabInfo (inventory, key, known_hosts paths)
//   labStatus()          -> every lab's hosts and services
//   labDown({})          -> everything the lab started or made is gone

import { access, constants, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { UserError } from '../errors.js';
import { ensureArtifacts } from './artifacts.js';
import { ensureBase } from './base.js';
import { run } from './command.js';
import { controllerDebianMirror } from './debian-mirror.js';
import { boot, destroyHostFiles, mountHostRoot, personalize, raiseInotifyLimits, shutdown, systemState, waitReady } from './host.js';
import { writeInventory } from './inventory.js';
import {
  bridgeName,
  claimSubnet,
  createHostNetwork,
  deleteBridge,
  deleteHostNetwork,
  FIRST_HOST_OCTET,
  MAX_HOSTS,
  raiseBridge,
  subnetPrefix,
} from './network.js';
import { labDir } from './paths.js';
import { isAlive, stop } from './process.js';
import { APT_PROXY_PORT, MIRROR_PORT, startAptProxy, startMirror } from './services.js';
import { listLabs, loadState, saveState, type LabHostState, type LabState } from './state.js';

export const DEFAULT_LAB_NAME = 'lab';
export const DEFAULT_HOSTS = 3;

export interface LabUpOptions {
  /** Number of hosts, kafka01..kafkaNN (default 3). */
  hosts?: number;
  /** Lab name (default `lab`); several labs can be up at once. */
  name?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface LabInfo {
  name: string;
  /** Ansible-format YAML inventory: hosts kafka01.., groups kafka and zookeeper. */
  inventory: string;
  privateKey: string;
  knownHosts: string;
  /** Base URL laid out like https://archive.apache.org/dist (zookeeper/..., kafka/...). */
  mirrorUrl: string;
  aptProxyUrl: string;
  hosts: Array<{ name: string; address: string }>;
}

export interface LabHostStatus {
  name: string;
  address: string;
  /** systemd's `is-system-running` answer, or 'down'. */
  state: string;
}

export interface LabStatus extends LabInfo {
  hosts: LabHostStatus[];
  aptProxyRunning: boolean;
  mirrorRunning: boolean;
}

const REQUIRED_TOOLS = ['ip', 'mount', 'umount', 'nsenter', 'unshare', 'chroot', 'ssh-keygen', 'debootstrap', 'apt-cacher-ng', 'mvn'];

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    if (await access(join(dir, tool), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

async function requireLabMachine(tools: string[]): Promise<void> {
  if (process.platform !== 'linux') {
    throw new UserError('lab', `the lab needs Linux (namespaces, overlayfs, bridges); this is ${process.platform}`, {
      hint: 'run it on a Linux machine or VM, as root',
    });
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('lab', 'the lab needs root: it mounts filesystems and creates network namespaces and a bridge', {
      hint: 'run it as root, e.g. `sudo runbook lab ...`',
    });
  }
  const missing = [];
  for (const tool of tools) if (!(await onPath(tool))) missing.push(tool);
  if (missing.length) {
    throw new UserError('lab', `the lab needs ${missing.join(', ')}, not found on PATH`, {
      hint: 'install the lab\'s system packages: `bash .ci/system-deps` (Debian/Ubuntu, as root)',
    });
  }
}

function checkName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(name)) {
    throw new UserError('lab', `bad lab name '${name}'`, { hint: 'use 1-20 lowercase letters, digits and dashes' });
  }
}

function info(state: LabState): LabInfo {
  return {
    name: state.name,
    inventory: state.inventory,
    privateKey: state.privateKey,
    knownHosts: state.knownHosts,
    mirrorUrl: state.mirrorUrl,
    aptProxyUrl: state.aptProxyUrl,
    hosts: state.hosts.map((h) => ({ name: h.name, address: h.address })),
  };
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await fn(item).catch((e: unknown) => errors.push(e));
      }
    }),
  );
  if (errors.length) throw errors[0];
}

function hostName(index: number): string {
  return `kafka${String(index + 1).padStart(2, '0')}`;
}

/**
 * Bring a lab up: build (or reuse) the base rootfs and artifacts, then boot `hosts` hosts and wait
 * until each runs systemd and sshd. A lab already up with the same size is returned as it is;
 * anything else under the name is brought down first.
 */
export async function labUp(options: LabUpOptions = {}): Promise<LabInfo> {
  const name = options.name ?? DEFAULT_LAB_NAME;
  const count = options.hosts ?? DEFAULT_HOSTS;
  const log = options.log ?? (() => {});
  checkName(name);
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new UserError('lab', `--hosts must be a whole number from 1 to ${MAX_HOSTS}, not ${count}`);
  }
  await requireLabMachine(REQUIRED_TOOLS);

  const existing = await loadState(name);
  if (existing) {
    const status = await statusOf(existing);
    const healthy = status.aptProxyRunning && status.mirrorRunning && status.hosts.every((h) => h.state === 'running' || h.state === 'degraded');
    if (healthy && existing.ready && existing.hosts.length === count) {
      log(`lab '${name}' is already up`);
      return info(existing);
    }
    log(`lab '${name}' exists but is not the lab asked for: bringing it down first`);
    await labDown({ name, log });
  }

  const debianMirror = await controllerDebianMirror();
  await Promise.all([ensureBase(debianMirror, log), ensureArtifacts(log)]);

  const others = (await listLabs()).map((l) => l.subnet);
  const subnet = await claimSubnet(others);
  const prefix = subnetPrefix(subnet);
  const dir = labDir(name);
  const bridgeAddress = `${prefix}.1`;
  const state: LabState = {
    name,
    subnet,
    bridge: bridgeName(subnet),
    bridgeAddress,
    hosts: [],
    mirrorUrl: `http://${bridgeAddress}:${MIRROR_PORT}`,
    aptProxyUrl: `http://${bridgeAddress}:${APT_PROXY_PORT}`,
    inventory: join(dir, 'inventory.yaml'),
    knownHosts: join(dir, 'known_hosts'),
    privateKey: join(dir, 'id_ed25519'),
  };
  // Saved before each thing it records is made, so `lab down` can undo a failed `up`.
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => saveState(state)));
  await save();
  try {
    log(`lab '${name}': bridge ${state.bridge} ${bridgeAddress}/24`);
    await raiseBridge(state.bridge, bridgeAddress);
    state.aptProxy = await startAptProxy(dir, bridgeAddress);
    await save();
    state.mirror = await startMirror(dir, bridgeAddress);
    await save();
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `runbook-lab-${name}`, '-f', state.privateKey]);
    const authorizedKey = await run('ssh-keygen', ['-y', '-f', state.privateKey]);

    const hostKeys = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const hname = hostName(i);
      state.hosts.push({
        name: hname,
        address: `${prefix}.${FIRST_HOST_OCTET + i}`,
        netns: `rblab-${name}-${hname}`,
        veth: `rb${subnet}h${i + 1}`,
        dir: join(dir, 'hosts', hname),
        cgroupLeaf: `runbook-lab-${name}-${hname}`,
      });
    }
    await save();
    await raiseInotifyLimits(log);
    log(`booting ${count} host(s)`);
    await eachLimited(state.hosts, 4, async (host: LabHostState) => {
      await createHostNetwork(host.netns, host.veth, state.bridge, host.address);
      await mountHostRoot(host);
      hostKeys.set(host.name, await personalize(host, { authorizedKey, aptProxyUrl: state.aptProxyUrl, debianMirror }));
      await boot(host);
      await save();
    });
    await eachLimited(state.hosts, 8, async (host) => {
      const booted = await waitReady(host, 120_000);
      log(`${host.name} ${host.address}: ${booted}`);
    });
    await writeInventory(state, hostKeys);
    state.ready = true;
    await save();
    log(`inventory: ${state.inventory}`);
    return info(state);
  } catch (e) {
    await saving;
    throw e;
  }
}

/** Stop everything a lab started and remove everything it made. Safe to repeat. */
export async function labDown(options: { name?: string; log?: (line: string) => void } = {}): Promise<boolean> {
  const name = options.name ?? DEFAULT_LAB_NAME;
  const log = options.log ?? (() => {});
  checkName(name);
  await requireLabMachine(['ip', 'umount']);
  const state = await loadState(name);
  if (!state) {
    await rm(labDir(name), { recursive: true, force: true });
    return false;
  }
  log(`bringing lab '${name}' down`);
  await eachLimited(state.hosts, 32, shutdown);
  await stop(state.aptProxy, 'SIGTERM', 5000);
  await stop(state.mirror, 'SIGTERM', 5000);
  await eachLimited(state.hosts, 8, async (host) => {
    await destroyHostFiles(host);
    await deleteHostNetwork(host.netns, host.veth);
  });
  await deleteBridge(state.bridge);
  await rm(labDir(name), { recursive: true, force: true });
  return true;
}

async function statusOf(state: LabState): Promise<LabStatus> {
  const hosts: LabHostStatus[] = [];
  for (const h of state.hosts) hosts.push({ name: h.name, address: h.address, state: await systemState(h) });
  return {
    ...info(state),
    hosts,
    aptProxyRunning: state.aptProxy ? await isAlive(state.aptProxy) : false,
    mirrorRunning: state.mirror ? await isAlive(state.mirror) : false,
  };
}

/** Every lab on this machine, with each host's systemd state. */
export async function labStatus(): Promise<LabStatus[]> {
  await requireLabMachine(['nsenter']);
  const labs = await listLabs();
  return Promise.all(labs.map(statusOf));
}

/** argv for the system `ssh` into a lab host with the lab's key and strict host key checking. */
export async function labSshArgs(host: string, command: string[], name = DEFAULT_LAB_NAME): Promise<string[]> {
  checkName(name);
  const state = await loadState(name);
  if (!state) throw new UserError('lab', `no lab named '${name}' is up`, { hint: 'start one with `runbook lab up`' });
  const target = state.hosts.find((h) => h.name === host || h.address === host);
  if (!target) {
    throw new UserError('lab', `lab '${name}' has no host '${host}'`, { hint: `its hosts: ${state.hosts.map((h) => h.name).join(', ')}` });
  }
  return [
    '-i', state.privateKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${state.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '--',
    `root@${target.address}`,
    ...command,
  ];
}
