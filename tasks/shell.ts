// shell: a sh script (Ansible's shell), idempotent through creates, removes or unless; not
// reversible on its own, so a step that needs rollback gives its own undo: steps.

import { defineTask, raw, z, checkGuards, guardArgs, guardsProbe, runCommand } from 'runbook';

const args = z.strictObject({
  cmd: z.string().min(1).describe('A sh script: pipes, redirections, variables and all.'),
  ...guardArgs,
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'shell',
  description: 'Run a sh script, guarded by creates/removes/unless; rc, stdout, stderr for register',
  doc: `Runs \`cmd\` as a /bin/sh script (pipes, redirections, \`$VAR\`). The script is yours and runs as
written: put values from variables in it with care (prefer \`command\` with \`argv\`, or pass them
through \`env\` and refer to \`"$NAME"\`). Guards, \`chdir\`, \`env\`, \`stdin\`, register data and
--check behaviour are those of \`command\`.

\`\`\`yaml
- name: Brokers registered in ZooKeeper
  shell:
    cmd: /opt/zookeeper/bin/zkCli.sh -server localhost:2181 ls /kafka/brokers/ids | tail -1
  register: ids
\`\`\``,
  args,
  // Ansible's free-form text (`shell: make install creates=/usr/bin/x`).
  freeForm: { arg: 'cmd', inline: ['creates', 'removes', 'chdir', 'stdin'] },
  probe: ({ args }) => guardsProbe(args),
  check: async (ctx, probed) => checkGuards(ctx.args, probed, ctx.args.cmd.split('\n')[0]),
  // The script is the user's own code: it runs as given, never with values pasted into it.
  apply: (ctx) => runCommand(ctx.shell, raw(ctx.args.cmd), ctx.args, ctx.signal),
});
