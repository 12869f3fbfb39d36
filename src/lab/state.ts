// A lab's record of everything it created, in <state dir>/state.json. `lab up` saves it after
// each resource it makes, so `lab down` can undo a half-finished `up` as well as a whole one.

import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labDir, STATE_ROOT } from './paths.js';
import type { ProcessRef } from './process.js';

export interface LabHostState {
  name: string;
  address: string;
  netns: string;
  /** The controller-side end of the host's veth pair (the other end is eth0 in the netns). */
  veth: string;
  /** Directory holding root/ (the overlay mount point), upper/, work/ and console.log. */
  dir: string;
  /** Leaf name of the host's own cgroup in every hierarchy (see assets/host-boot.sh). */
  cgroupLeaf: string;
  /** The host-boot launcher (parent of the host's PID namespace). */
  launcher?: ProcessRef;
  /** systemd, PID 1 inside the host. */
  init?: ProcessRef;
}

export interface LabState {
  name: string;
  /** Third octet of the lab's subnet 10.213.<n>.0/24. */
  subnet: number;
  bridge: string;
  bridgeAddress: string;
  hosts: LabHostState[];
  aptProxy?: ProcessRef;
  mirror?: ProcessRef;
  /** Base URL of the artifact mirror, laid out like archive.apache.org/dist. */
  mirrorUrl: string;
  aptProxyUrl: string;
  inventory: string;
  knownHosts: string;
  privateKey: string;
  /** Set once every host booted and the inventory was written: a lab without it is half made. */
  ready?: boolean;
}

export function statePath(name: string): string {
  return join(labDir(name), 'state.json');
}

export async function saveState(state: LabState): Promise<void> {
  const path = statePath(state.name);
  await mkdir(labDir(state.name), { recursive: true, mode: 0o700 });
  await writeFile(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}

export async function loadState(name: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(name), 'utf8')) as LabState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Every lab with a state file, by name. */
export async function listLabs(): Promise<LabState[]> {
  let names: string[];
  try {
    names = await readdir(STATE_ROOT);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const states = await Promise.all(names.map((n) => loadState(n)));
  return states.filter((s): s is LabState => s !== undefined);
}
