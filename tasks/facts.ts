import { defineTask, z } from 'runbook';

const args = z.object({}).strict().optional();

export default defineTask({
  name: 'facts',
  description: 'Gather host facts (OS, init system, arch, memory, CPUs, hostname) for register',
  doc: `Reads the host's facts (gathered once per run, in one round trip) so a step can \`register\`
them: \`os.id\`, \`os.version\`, \`os.family\`, \`os.prettyName\`, \`init\` (systemd or what PID 1 is),
\`arch\`, \`memoryMb\`, \`cpus\`, \`hostname\`. Changes nothing.

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
    return { inSync: true, summary: `${facts.os.prettyName || facts.os.id}, ${facts.arch}, ${facts.cpus} CPUs, ${facts.memoryMb} MiB`, data: { ...facts } };
  },
  async apply() {},
});
