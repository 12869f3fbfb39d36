// fail: stop a host's play here with a message (Ansible's fail). `runbook convert` puts one where
// a playbook construct could not be translated, so the runbook cannot run past it unnoticed.

import { defineTask, z, TaskError } from 'runbook';

const args = z.strictObject({
  msg: z.string().min(1).default('Failed as requested from task').describe('The message the step fails with.'),
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'fail',
  description: 'Fail the step on its hosts with a message (under a `when`, a guard)',
  doc: `Fails on every host it runs on, in \`--check\` too, with \`msg\`; under a \`when\` it guards a
play against a state it must not go on from (Ansible's \`fail\`). Changes nothing.

\`\`\`yaml
- name: Refuse a host without its myid
  when: not (defined myid)
  fail:
    msg: every ZooKeeper member needs a myid host var
\`\`\``,
  args,
  async check(ctx) {
    throw new TaskError(ctx.args.msg);
  },
  async apply() {},
});
