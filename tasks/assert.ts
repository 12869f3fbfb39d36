// assert: fail the step unless every condition holds (Ansible's assert). The conditions are
// templates that give true or false (`"{{eq a 1}}"`), rendered with the host's vars like any arg,
// so their syntax is checked when the runbook loads and an undefined var is named with its place.

import { defineTask, z, TaskError } from 'runbook';

const condition = z.boolean({ error: 'expected a template that gives true or false, e.g. "{{eq a 1}}"' });

const args = z.strictObject({
  that: z
    .preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(condition).min(1))
    .describe('The conditions that must all be true: templates such as "{{eq a 1}}" or "{{defined x}}".'),
  fail_msg: z.string().optional().describe('The message when a condition is false (default: which one).'),
  success_msg: z.string().default('All assertions passed').describe('The summary when all hold.'),
});

export default defineTask<typeof args, undefined, undefined>({
  name: 'assert',
  description: 'Fail the step unless every condition holds; changes nothing',
  doc: `Checks conditions on each host, in \`--check\` too, and fails naming the first that is false
(or with \`fail_msg\`). Each condition is a template giving a boolean, where Ansible takes a bare
Jinja expression: \`runbook convert\` translates one into the other.

\`\`\`yaml
- name: The heap fits in memory
  assert:
    that:
      - "{{lt heap_mb ram_mb}}"
      - "{{in 'kafka' group_names}}"
    fail_msg: the heap is larger than the host's memory
\`\`\``,
  args,
  async check(ctx) {
    const { that, fail_msg, success_msg } = ctx.args;
    const failed = that.findIndex((ok) => !ok);
    if (failed >= 0) throw new TaskError(fail_msg ?? `assertion ${failed + 1} of ${that.length} is false (that[${failed}])`);
    return { inSync: true, summary: success_msg };
  },
  async apply() {},
});
