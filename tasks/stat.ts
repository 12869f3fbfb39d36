// stat: what is at a path, for `register` (Ansible's stat, the fields playbooks read). A link is
// reported as a link (follow: no, Ansible's default).

import { defineTask, z, pathArg, parseStat, statScript } from 'runbook';

const args = z.strictObject({
  path: pathArg.describe('The path to look at.'),
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'stat',
  description: 'Read what is at a path (exists, type, mode, owner, size) for register',
  doc: `Registers \`stat\` with Ansible's field names: \`exists\`, \`path\`, \`isdir\`, \`isreg\`,
\`islnk\`, \`mode\` ("0644"), \`pw_name\`, \`gr_name\`, \`size\`, and \`lnk_source\` for a link (as it
is written in the link). A link is not followed. Changes nothing; runs in \`--check\` too.

\`\`\`yaml
- name: Is Kafka unpacked already
  stat:
    path: /opt/kafka/bin
  register: kafka_bin
- name: Unpack it
  when: not kafka_bin.stat.exists
  extract: { src: /tmp/kafka.tgz, dest: /opt/kafka }
\`\`\``,
  args,
  aliases: { dest: 'path', name: 'path' },
  probe: ({ args }) => statScript(args.path),
  async check(ctx, probed) {
    const { path } = ctx.args;
    const st = parseStat(probed);
    const mode = st?.mode.padStart(4, '0');
    const stat = st
      ? {
          exists: true,
          path,
          isdir: st.type === 'directory',
          isreg: st.type === 'file',
          islnk: st.type === 'link',
          mode,
          pw_name: st.owner,
          gr_name: st.group,
          size: st.size,
          ...(st.linkTarget !== undefined ? { lnk_source: st.linkTarget } : {}),
        }
      : { exists: false, path };
    return { inSync: true, summary: st ? `${st.type}, mode ${mode}` : 'nothing there', data: { stat } };
  },
  async apply() {},
});
