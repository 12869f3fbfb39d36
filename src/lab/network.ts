// The lab's network: one bridge on the controller with a private /24 the lab picks, and per host a
// network namespace joined to the bridge by a veth pair. Hosts get no default route and the
// controller forwards nothing for them: they reach the controller (apt proxy, artifact mirror)
// and each other, nothing else.

import { run, tryRun } from './command.js';
import { UserError } from '../errors.js';

export const FIRST_HOST_OCTET = 11;
export const MAX_HOSTS = 254 - FIRST_HOST_OCTET + 1;

export function subnetPrefix(subnet: number): string {
  return `10.213.${subnet}`;
}

/** IPv4 networks already on the machine, as [start, end] address integers. */
async function networksInUse(): Promise<Array<[number, number]>> {
  const out = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  const addrs = await run('ip', ['-4', '-o', 'addr', 'show']);
  const cidrs = [...out.matchAll(/^(?:\S+\s+)?(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/gm), ...addrs.matchAll(/inet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map(
    (m) => m[1],
  );
  return cidrs.map((cidr) => {
    const [ip, bits = '32'] = cidr.split('/');
    const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const start = n - (n % size);
    return [start, start + size - 1];
  });
}

export function bridgeName(subnet: number): string {
  return `rblab${subnet}`;
}

/**
 * Claim the lowest 10.213.<n>.0/24 that overlaps nothing on the machine and no other lab, by
 * creating its bridge: the kernel refuses a second `ip link add` of one name, so two labs coming
 * up at once (the test runner starts two) never share a subnet. The bridge is returned down and
 * without an address; `raiseBridge` finishes it.
 */
export async function claimSubnet(takenByLabs: number[]): Promise<number> {
  const used = await networksInUse();
  for (let n = 1; n < 255; n++) {
    if (takenByLabs.includes(n)) continue;
    const start = ((10 * 256 + 213) * 256 + n) * 256;
    const end = start + 255;
    if (used.some(([s, e]) => s <= end && e >= start)) continue;
    if (await tryRun('ip', ['link', 'add', bridgeName(n), 'type', 'bridge'])) return n;
  }
  throw new UserError('lab', 'no free 10.213.x.0/24 subnet left for a lab', { hint: 'bring down labs you no longer need (`runbook lab down --name ...`)' });
}

export async function raiseBridge(bridge: string, address: string): Promise<void> {
  await run('ip', ['addr', 'replace', `${address}/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
}

export async function createHostNetwork(netns: string, veth: string, bridge: string, address: string): Promise<void> {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
  await run('ip', ['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
}

/** Remove a host's netns and veth; either may already be gone. */
export async function deleteHostNetwork(netns: string, veth: string): Promise<void> {
  await tryRun('ip', ['link', 'del', veth]);
  await tryRun('ip', ['netns', 'del', netns]);
}

export async function deleteBridge(bridge: string): Promise<void> {
  await tryRun('ip', ['link', 'del', bridge]);
}
