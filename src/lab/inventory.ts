// The lab's inventory (Ansible's YAML format, which runbook reads as is) and known_hosts.

import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { LabState } from './state.js';

export function inventoryYaml(state: LabState): string {
  const hosts = Object.fromEntries(
    state.hosts.map((h, i) => [
      h.name,
      {
        ansible_host: h.address,
        ansible_user: 'root',
        ansible_ssh_private_key_file: state.privateKey,
        myid: i + 1,
        broker_id: i + 1,
        // Clients on this machine reach the brokers by the addresses they advertise; only the lab
        // hosts resolve kafka01.. (runbooks/README.md, "The lab").
        kafka_advertised_host: h.address,
      },
    ]),
  );
  const members = Object.fromEntries(state.hosts.map((h) => [h.name, {}]));
  const doc = {
    all: {
      vars: {
        known_hosts_file: state.knownHosts,
        lab_mirror_url: state.mirrorUrl,
        lab_apt_proxy: state.aptProxyUrl,
        // What the shipped runbooks need changed to run here, and nothing else (runbooks/README.md,
        // "The lab override"): Apache is unreachable, so its tarballs come from the lab's mirror
        // (laid out like archive.apache.org/dist), and Corretto's apt repository is unreachable, so
        // Java is Debian's OpenJDK through the lab's apt proxy.
        mirror: [state.mirrorUrl],
        java_distribution: 'openjdk',
        java_package: 'openjdk-17-jre-headless',
        // The hosts share this machine's clock and kernel: no time sync runs in them, and
        // vm.swappiness and vm.max_map_count (read-only there) are this machine's to set. The
        // preflight writes /etc/sysctl.d/60-kafka.conf only.
        preflight_time_sync: false,
        sysctl_reload: false,
      },
      hosts,
      children: {
        zookeeper: { hosts: members },
        kafka: { hosts: members },
      },
    },
  };
  return `# Written by \`runbook lab up --name ${state.name}\`; rewritten on every up.\n${stringify(doc, { aliasDuplicateObjects: false })}`;
}

export async function writeInventory(state: LabState, hostKeys: Map<string, string>): Promise<void> {
  await writeFile(state.inventory, inventoryYaml(state));
  const lines = state.hosts.map((h) => `${h.name},${h.address} ${hostKeys.get(h.name)}`);
  await writeFile(state.knownHosts, lines.join('\n') + '\n');
}
