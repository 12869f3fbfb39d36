// template: a handlebars template on the controller rendered with the host's vars and written like
// copy (atomic, diff, validate, backup); Ansible's template, with handlebars instead of Jinja.

import { defineTask, z, applyContent, undoContent, driftOf, checkPut, destPath, parseContentProbe, putArgs, putProbe, type ContentPlan, type ContentUndo } from 'runbook';

const args = z.strictObject({
  src: z.string().min(1).describe('A handlebars file on the controller, relative to the runbook\'s directory (templates/x.hbs).'),
  ...putArgs,
});

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'template',
  description: 'Render a handlebars template from the controller into a file on the host (diff, validate, backup)',
  doc: `Renders \`src\` (a handlebars file relative to the runbook's directory, strict: a missing variable
fails) with the host's vars, then writes it to \`dest\` exactly like \`copy\`: atomic, owner, group,
mode, \`backup\`, \`validate\` (\`%s\` is the new file), \`force\`, and a diff under \`--check --diff\`.

\`\`\`yaml
- name: Kafka broker config
  template:
    src: templates/server.properties.hbs
    dest: /opt/kafka/config/server.properties
    owner: kafka
    mode: '0644'
\`\`\``,
  args,
  // The planner renders it for every host before any connection: a missing variable fails first.
  templateFiles: (a) => [a.src],
  probe: ({ args: a }) => putProbe(a, destPath(a.dest, a.src.replace(/\.hbs$/, ''))),
  async check(ctx, probed) {
    const rendered = await ctx.renderTemplate(ctx.args.src);
    return checkPut(ctx, parseContentProbe(probed), Buffer.from(rendered, 'utf8'));
  },
  async apply(ctx, plan) {
    await applyContent(ctx.shell, plan!);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
