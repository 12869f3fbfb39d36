// facts: the host's facts for `register`, under our names and under Ansible's (`os_family`, ...), so
// a playbook converted by `runbook convert` reads `ansible_facts.os_family` as it did.

import { defineTask, z, type Facts } from 'runbook';

const args = z.strictObject({}).optional();

// Ansible's names for what /etc/os-release's ID says (its distribution.py OS_FAMILY_MAP and
// distribution names), for the distributions a Kafka host runs.
const FAMILY: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Debian', raspbian: 'Debian', linuxmint: 'Debian', kali: 'Debian',
  rhel: 'RedHat', centos: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', ol: 'RedHat', amzn: 'RedHat',
  sles: 'Suse', opensuse: 'Suse', 'opensuse-leap': 'Suse', alpine: 'Alpine', arch: 'Archlinux',
};
const DISTRIBUTION: Record<string, string> = {
  rhel: 'RedHat', centos: 'CentOS', amzn: 'Amazon', almalinux: 'AlmaLinux', ol: 'OracleLinux', sles: 'SLES', arch: 'Archlinux', opensuse: 'openSUSE',
};

/** The facts under the names Ansible gathers them as (`ansible_facts.os_family`). */
export function ansibleFacts(f: Facts): Record<string, unknown> {
  const id = f.os.id.toLowerCase();
  const distribution = DISTRIBUTION[id] ?? id.charAt(0).toUpperCase() + id.slice(1);
  return {
    os_family: FAMILY[id] ?? distribution,
    distribution,
    distribution_version: f.os.version,
    distribution_major_version: f.os.version.split('.')[0],
    architecture: f.arch,
    hostname: f.hostname.split('.')[0],
    memtotal_mb: f.memoryMb,
    processor_vcpus: f.cpus,
    service_mgr: f.init,
  };
}

export default defineTask<typeof args, undefined, undefined>({
  name: 'facts',
  description: 'Gather host facts (OS, init system, arch, memory, CPUs, hostname) for register',
  doc: `Reads the host's facts (gathered once per run, in one round trip) so a step can \`register\`
them: \`os.id\`, \`os.version\`, \`os.family\`, \`os.prettyName\`, \`init\` (systemd or what PID 1 is),
\`arch\`, \`memoryMb\`, \`cpus\`, \`hostname\`; and under Ansible's names: \`os_family\` (Debian,
RedHat, ...), \`distribution\`, \`distribution_version\` (os-release's VERSION_ID: "12" where Ansible
reads "12.5" from /etc/debian_version), \`distribution_major_version\`, \`architecture\`,
\`hostname\`, \`memtotal_mb\`, \`processor_vcpus\`, \`service_mgr\`. Changes nothing.

\`\`\`yaml
- name: Host facts
  facts:
  register: host
- name: Heap from memory
  template:
    src: templates/kafka.env.hbs      # e.g. -Xmx{{ host.memoryMb }}... computed in the template
    dest: /etc/default/kafka
\`\`\``,
  args,
  async check(ctx) {
    const facts = await ctx.facts();
    return { inSync: true, summary: `${facts.os.prettyName || facts.os.id}, ${facts.arch}, ${facts.cpus} CPUs, ${facts.memoryMb} MiB`, data: { ...facts, ...ansibleFacts(facts) } };
  },
  async apply() {},
});
