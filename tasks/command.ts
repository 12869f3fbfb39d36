// command: a program run without a shell (Ansible's command), made idempotent by creates, removes
// or unless; not reversible on its own, so a step that needs rollback gives its own undo: steps.

import { defineTask, z, checkGuards, guardArgs, guardsProbe, runCommand, scalarText, splitWords } from 'runbook';

const args = z.strictObject({
  cmd: z.string().min(1).optional().describe('The command: a string split into words like sh would (no expansion), or a list of words.'),
  argv: z.array(scalarText).min(1).optional().describe('Or the program and its arguments as a list, each passed as it is.'),
  ...guardArgs,
})
  .refine((a) => (a.cmd === undefined) !== (a.argv === undefined), { message: 'give exactly one of cmd or argv' })
  .refine(
    (a) => {
      try {
        if (a.cmd !== undefined) splitWords(a.cmd);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'cmd has an unclosed quote' },
  );

export default defineTask<typeof args, undefined, undefined>({
  name: 'command',
  description: 'Run a program (no shell), guarded by creates/removes/unless; rc, stdout, stderr for register',
  doc: `Runs a program directly, without a shell: no pipes, redirections or \`$VAR\` expansion (use
\`shell\` for those). \`cmd\` is split into words like sh does (blanks separate; '...' and "..." group;
backslash escapes), or give \`argv\` as a list. Guards make it idempotent: \`creates\` (skip when the
path exists), \`removes\` (skip when it does not), \`unless\` (a shell command whose success means
it is already done; it runs under --check too, so keep it read-only). Without a guard it always
runs, and \`--check\` reports it as skipped (unknowable). Also \`chdir\`, \`env\`, \`stdin\`. Register
gives \`rc\`, \`stdout\`, \`stderr\`, \`stdout_lines\`, \`stderr_lines\` (of a stream longer than 4 MiB, the first and
last 2 MiB, with a line saying how much was left out); a non-zero exit fails the step
unless \`failed_when\` says otherwise. No undo of its own: give the step an \`undo:\` block.

\`\`\`yaml
- name: Create the chroot znode
  command:
    argv: [/opt/zookeeper/bin/zkCli.sh, -server, localhost:2181, create, /kafka]
    unless: /opt/zookeeper/bin/zkCli.sh -server localhost:2181 stat /kafka
\`\`\``,
  args,
  // Ansible's free-form text (`shell: make install creates=/usr/bin/x`).
  freeForm: { arg: 'cmd', inline: ['creates', 'removes', 'chdir', 'stdin'] },
  probe: ({ args }) => guardsProbe(args),
  check: async (ctx, probed) => checkGuards(ctx.args, probed, ctx.args.cmd ?? ctx.args.argv!.join(' ')),
  apply: (ctx) => runCommand(ctx.shell, ctx.args.argv ?? splitWords(ctx.args.cmd!), ctx.args, ctx.signal),
});
