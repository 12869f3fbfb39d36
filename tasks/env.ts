// env: export lines in a user's ~/.bashrc or in /etc/profile.d, as the manuals set KAFKA_HOME and
// friends; each variable is one managed line, so values change in place and undo restores the file.

import {
  defineTask, quote, z, applyContent, undoContent, driftOf, checkEdit, contentProbe, parseContentProbe, joinLines, splitLines,
  type ContentPlan, type ContentUndo, type Dest,
} from 'runbook';

const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid environment variable name');
const varValue = z.union([z.string(), z.number(), z.boolean()]).transform(String).refine((v) => !v.includes('\n') && !v.includes('\0'), {
  message: 'an environment value cannot contain a newline or NUL',
});

const args = z.strictObject({
  name: varName.optional().describe('The variable\'s name (with value).'),
  value: varValue.optional().describe('Its value, single-quoted in the file: nothing in it expands unless expand: true.'),
  vars: z.record(varName, varValue).optional().describe('Several at once: { NAME: value }.'),
  user: z.string().min(1).optional().describe('Write to this user\'s ~/.bashrc (home looked up on the host).'),
  file: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'file is a name in /etc/profile.d, like kafka').optional().describe('Write to /etc/profile.d/<file>.sh instead.'),
  expand: z.boolean().default(false).describe('true: "double quotes": $OTHER and ${OTHER} expand when the file is sourced. Default: literal.'),
})
  .refine((a) => (a.user === undefined) !== (a.file === undefined), { message: 'give exactly one of user or file' })
  .refine((a) => (a.name === undefined) === (a.value === undefined), { message: 'name and value go together' })
  .refine((a) => a.name !== undefined || a.vars !== undefined, { message: 'give name and value, or vars' })
  .refine((a) => !a.expand || [a.value ?? '', ...Object.values(a.vars ?? {})].every(onlyPlainReferences), {
    message: 'with expand: true a value may refer to other variables only as $NAME or ${NAME}; other ${...} forms can run commands when the file is sourced',
  });

type Args = z.output<typeof args>;

/**
 * The sh word for a value. Literal: single-quoted, nothing expands. Expand: double-quoted so that
 * `$NAME` and `${NAME}` references expand, and nothing else: `$(`, backquotes, `"` and `\` are
 * escaped, and any other `${...}` form is refused, since bash runs commands from some of them
 * (`${x@P}`, an array subscript, a `:-` default holding `$(...)`). A value can refer to other
 * variables but never run a command.
 */
export function shellValue(value: string, expand: boolean): string {
  if (!expand) return quote(value);
  const escaped = value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*|[\\"`$]/g, (m) => (m.length > 1 ? m : '\\' + m));
  return `"${escaped}"`;
}

/** With expand: true, only $NAME and ${NAME} may follow a $. */
function onlyPlainReferences(value: string): boolean {
  return !/\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/.test(value);
}

function wanted(a: Args): Array<[string, string]> {
  const pairs: Array<[string, string]> = a.name !== undefined ? [[a.name, a.value!]] : [];
  return [...pairs, ...Object.entries(a.vars ?? {})];
}

export function editExports(text: string | null, a: Args): string {
  const lines = splitLines(text);
  let changed = text === null;
  for (const [name, value] of wanted(a)) {
    const line = `export ${name}=${shellValue(value, a.expand)}`;
    const re = new RegExp(`^\\s*export\\s+${name}=`);
    const at = lines.findIndex((l) => re.test(l));
    if (at < 0) {
      lines.push(line);
      changed = true;
      continue;
    }
    if (lines[at] !== line) changed = true;
    lines[at] = line;
    for (let i = lines.length - 1; i > at; i--) {
      if (re.test(lines[i])) {
        lines.splice(i, 1);
        changed = true;
      }
    }
  }
  return changed ? joinLines(lines) : text!;
}

function dest(a: Args): Dest {
  if (a.user !== undefined) return { user: a.user, relative: '.bashrc' };
  return `/etc/profile.d/${a.file!.replace(/\.sh$/, '')}.sh`;
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'env',
  description: "Set environment variables with export lines in a user's ~/.bashrc or /etc/profile.d/<file>.sh",
  doc: `Keeps one \`export NAME=value\` line per variable in \`user\`'s \`~/.bashrc\` (home from getent on the
host; created owned by the user) or in \`/etc/profile.d/<file>.sh\`. An existing \`export NAME=\` line is
replaced (later duplicates removed), otherwise the line is appended. Values are quoted for sh:
literal by default (single quotes); \`expand: true\` uses double quotes so \`$OTHER\` / \`\${OTHER}\`
expand when the file is sourced, while \`$(...)\` and backquotes stay literal text.

Args: \`name\` + \`value\`, or \`vars: {NAME: value}\`; \`user\` or \`file\`; \`expand\`.

\`\`\`yaml
- name: Kafka environment
  env:
    user: kafka
    expand: true
    vars:
      KAFKA_HOME: /opt/kafka
      KAFKA_CONF_DIR: $KAFKA_HOME/config
      KAFKA_HEAP_OPTS: -Xmx512m -Xms512m
\`\`\``,
  args,
  probe: ({ args: a }) => contentProbe(dest(a)),
  async check(ctx, probed) {
    const a = ctx.args;
    return checkEdit(ctx.shell, parseContentProbe(probed), (text) => editExports(text, a), {
      create: true,
      attrs: a.user !== undefined ? { owner: a.user } : {},
    });
  },
  async apply(ctx, plan) {
    await applyContent(ctx.shell, plan!);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
