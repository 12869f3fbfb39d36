// set_fact: vars of this host, set as the play runs, for the steps after this one (Ansible's
// set_fact). The values are templates rendered with the host's vars, registered results included.

import { defineTask, z } from 'runbook';

const args = z
  .record(z.string(), z.unknown())
  .superRefine((a, ctx) => {
    for (const key of Object.keys(a)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) ctx.addIssue({ code: 'custom', message: `"${key}" is not a var name (letters, digits, _)`, path: [key] });
    }
  })
  .refine((a) => Object.keys(a).length > 0, { message: 'give at least one var: name: value' })
  .refine((a) => !('cacheable' in a), { message: 'cacheable: there is no fact cache here; the vars last for the run' })
  .describe('name: value pairs');

export default defineTask<typeof args, undefined, undefined>({
  name: 'set_fact',
  description: 'Set vars of this host for the steps after this one, from values computed as the play runs',
  doc: `Each \`name: value\` becomes a var of the host for the rest of the run, over the inventory's and
the runbook's (as Ansible's set_fact; over \`-e\` too, as a registered result is, where Ansible keeps \`-e\`). The values are templates, rendered with the host's vars and the
results registered before the step. Changes nothing on the host; runs in \`--check\` too. A resumed run
takes the values the earlier run set.

\`\`\`yaml
- name: Count the data files
  shell: ls /var/lib/kafka | wc -l
  register: files
  changed_when: false
- name: Remember it
  set_fact:
    data_files: "{{trim files.stdout}}"
\`\`\``,
  args,
  setsVars: { names: (a) => Object.keys(a) },
  async check(ctx) {
    return { inSync: true, summary: `set ${Object.keys(ctx.args).join(', ')}`, data: { ansible_facts: ctx.args } };
  },
  async apply() {},
});
