// group: a local group. The undo record says whether the group existed (and with which gid), so
// undo deletes a group the step created, or puts back a gid it changed or a group it removed.

import { defineTask, z, sh, raw } from 'runbook';
import { accountName } from './user.js';

const groupArgs = z.strictObject({
  name: accountName.describe('The group\'s name.'),
  state: z.enum(['present', 'absent']).default('present').describe('present or absent.'),
  gid: z.coerce.number().int().nonnegative().optional().describe('A fixed group id.'),
  system: z.boolean().default(false).describe('A system group (gid from the system range).'),
});

/** The gid in a `getent group` line, or null when the group does not exist (empty output). */
export function parseGroupGid(line: string): number | null {
  const f = line.trim().split(':');
  return f.length >= 3 ? Number(f[2]) : null;
}

/** What undo puts back: the group as it was (null gid: it did not exist). */
interface GroupUndo {
  name: string;
  gid: number | null;
}

export default defineTask<typeof groupArgs, undefined, GroupUndo>({
  name: 'group',
  description: 'Create, change or remove a local group',
  doc: `Manages a group with groupadd/groupmod/groupdel: \`name\`, \`state\` (\`present\`/\`absent\`),
\`gid\`, \`system\` (used at creation). Undo deletes a group the step created, restores a changed
gid, and re-creates a removed group with its old gid.

\`\`\`yaml
- name: Group for the services
  become: true
  group:
    name: kafka
    system: true
\`\`\``,
  args: groupArgs,
  probe: ({ args }) => sh`getent group ${args.name} || true`,
  async check(ctx, probed) {
    const { args } = ctx;
    const gid = parseGroupGid(probed);
    const undo = { name: args.name, gid };
    if (args.state === 'absent') return gid === null ? { inSync: true } : { inSync: false, undo, summary: `remove group ${args.name}` };
    if (gid === null) return { inSync: false, undo, summary: `create group ${args.name}` };
    if (args.gid !== undefined && args.gid !== gid) return { inSync: false, undo, summary: `group ${args.name}: gid ${gid} → ${args.gid}` };
    return { inSync: true, data: { gid } };
  },
  async apply(ctx) {
    const { args } = ctx;
    const gid = args.gid === undefined ? raw('') : sh`--gid ${args.gid}`;
    const script =
      args.state === 'absent'
        ? sh`groupdel ${args.name}`
        : sh`if getent group ${args.name} >/dev/null; then groupmod ${gid} ${args.name}; else groupadd ${args.system ? raw('--system') : raw('')} ${gid} ${args.name}; fi`;
    await ctx.shell.run(script);
  },
  async undo(ctx, record) {
    const script =
      record.gid === null
        ? sh`if getent group ${record.name} >/dev/null; then groupdel ${record.name}; fi`
        : sh`if getent group ${record.name} >/dev/null; then groupmod --gid ${record.gid} ${record.name}; else groupadd --gid ${record.gid} ${record.name}; fi`;
    await ctx.shell.run(script);
  },
});
