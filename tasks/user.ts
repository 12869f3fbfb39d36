// user: a local account (service users above all). One round trip reads the passwd entry and the
// groups; apply runs useradd/usermod/userdel. The undo record is the account as found, so undo
// deletes an account the step created (with the home directory only if the step made it) or
// puts back the fields it changed.

import { defineTask, z, sh, raw, type ShellText } from 'runbook';

// shadow-utils' own rule for names (NAME_REGEX), so nothing odd reaches useradd.
export const accountName = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'a user or group name: lower-case letters, digits, _ and -').max(32);
const absolutePath = z.string().regex(/^\//, 'an absolute path').refine((s) => !/[\n:]/.test(s), 'no newline or colon');

const userArgs = z.strictObject({
  name: accountName.describe('The account\'s name.'),
  state: z.enum(['present', 'absent']).default('present').describe('present or absent (absent leaves the home directory).'),
  system: z.boolean().default(false).describe('A system account (uid from the system range, no aging).'),
  home: absolutePath.optional().describe('The home directory.'),
  shell: absolutePath.optional().describe('The login shell, e.g. /bin/bash or /usr/sbin/nologin.'),
  create_home: z.boolean().default(true).describe('Create the home directory when the account is created.'),
  group: accountName.optional().describe('Primary group (must exist).'),
  groups: z.array(accountName).optional().describe('Supplementary groups: exactly these, or added to the current ones with append.'),
  append: z.boolean().default(false).describe('With groups: add to them, keeping other supplementary groups (false: exactly these).'),
});
type UserArgs = z.output<typeof userArgs>;

export interface Account {
  uid: number;
  /** The primary group's gid (absent in records journaled before it was kept). */
  gid?: number;
  group: string;
  home: string;
  shell: string;
  groups: string[];
}

export type UserUndo =
  | { existed: false; name: string; homeCreated: boolean }
  | { existed: true; name: string; account: Account };

interface UserObserved {
  found: Account | null;
  homeExists: boolean;
}

/** Parses `@@passwd <getent passwd line>`, `@@group <primary>`, `@@groups <names>`, `@@home 0|1`. */
export function parseAccount(out: string): UserObserved {
  const get = (k: string) => out.split('\n').find((l) => l.startsWith(`@@${k} `))?.slice(k.length + 3);
  const passwd = get('passwd');
  const homeExists = get('home') === '1';
  if (!passwd) return { found: null, homeExists };
  const f = passwd.split(':');
  return {
    found: { uid: Number(f[2]), gid: Number(f[3]), group: get('group') ?? '', home: f[5], shell: f[6], groups: (get('groups') ?? '').split(' ').filter(Boolean) },
    homeExists,
  };
}

function changes(args: UserArgs, a: Account): string[] {
  const out: string[] = [];
  if (args.home !== undefined && args.home !== a.home) out.push(`home ${a.home} → ${args.home}`);
  if (args.shell !== undefined && args.shell !== a.shell) out.push(`shell ${a.shell} → ${args.shell}`);
  if (args.group !== undefined && args.group !== a.group) out.push(`group ${a.group} → ${args.group}`);
  if (args.groups !== undefined) {
    const supplementary = a.groups.filter((g) => g !== a.group);
    const missing = args.groups.filter((g) => !supplementary.includes(g));
    const extra = args.append ? [] : supplementary.filter((g) => !args.groups!.includes(g));
    if (missing.length || extra.length) out.push(`groups ${supplementary.join(',') || '(none)'} → ${(args.append ? [...supplementary, ...missing] : args.groups).join(',') || '(none)'}`);
  }
  return out;
}

/** The account, its groups, and whether its home (or the home wanted for a new one) is there. */
function accountProbe(name: string, home?: string): ShellText {
  return sh`if e=$(getent passwd ${name}); then
  printf '@@passwd %s\\n@@group %s\\n@@groups %s\\n' "$e" "$(id -gn ${name})" "$(id -Gn ${name})"
  h=$(printf '%s' "$e" | cut -d: -f6)
else h=${home ?? ''}; fi
if [ -n "$h" ] && [ -d "$h" ]; then echo '@@home 1'; else echo '@@home 0'; fi`;
}

export default defineTask<typeof userArgs, UserObserved, UserUndo>({
  name: 'user',
  description: 'Create, change or remove a local user account',
  doc: `Manages an account with useradd/usermod/userdel.

- \`name\`, \`state\` (\`present\`/\`absent\`), \`system\` (a system account: uid below 1000, used at creation),
  \`home\`, \`shell\`, \`create_home\` (default true), \`group\` (primary group, must exist),
  \`groups\` (supplementary groups: exactly these, or added to the current ones with \`append: true\`).

\`state: absent\` keeps the home directory (like Ansible's default \`remove: false\`).
Undo deletes an account the step created (and its home directory only if the step created it),
restores changed fields, and re-creates a removed account with its uid, home, shell and groups
(and its own group, with its gid, when \`userdel\` removed that too).

\`\`\`yaml
- name: Create the service user
  become: true
  user:
    name: kafka
    system: true
    shell: /bin/bash
    home: /home/kafka
\`\`\``,
  args: userArgs,
  aliases: { user: 'name' },
  probe: ({ args }) => accountProbe(args.name, args.home),
  async check(ctx, probed) {
    const { args } = ctx;
    const seen = parseAccount(probed);
    const a = seen.found;
    if (args.state === 'absent') {
      if (!a) return { inSync: true };
      return { inSync: false, observed: seen, undo: { existed: true, name: args.name, account: a }, summary: `remove user ${args.name}` };
    }
    if (!a) {
      const homeCreated = args.create_home && !seen.homeExists;
      return { inSync: false, observed: seen, undo: { existed: false, name: args.name, homeCreated }, summary: `create ${args.system ? 'system ' : ''}user ${args.name}` };
    }
    const diff = changes(args, a);
    if (!diff.length) return { inSync: true, data: { uid: a.uid, home: a.home } };
    return { inSync: false, observed: seen, undo: { existed: true, name: args.name, account: a }, summary: `user ${args.name}: ${diff.join(', ')}` };
  },
  async apply(ctx, observed) {
    const { args } = ctx;
    const a = observed!.found;
    if (args.state === 'absent') {
      await ctx.shell.run(sh`userdel ${args.name}`);
      return;
    }
    if (!a) {
      await ctx.shell.run(
        sh`useradd ${args.system ? raw('--system') : raw('')} ${args.create_home ? raw('--create-home') : raw('--no-create-home')} ${opt('--home-dir', args.home)} ${opt('--shell', args.shell)} ${opt('--gid', args.group)} ${opt('--groups', args.groups?.join(','))} -- ${args.name}`,
      );
    } else {
      const groups = args.groups === undefined ? undefined : args.append ? sh`--append --groups ${args.groups.join(',')}` : sh`--groups ${args.groups.join(',')}`;
      await ctx.shell.run(
        sh`usermod ${opt('--home', args.home !== a.home ? args.home : undefined)} ${opt('--shell', args.shell !== a.shell ? args.shell : undefined)} ${opt('--gid', args.group !== a.group ? args.group : undefined)} ${groups ?? raw('')} -- ${args.name}`,
      );
    }
    const after = parseAccount((await ctx.shell.run(accountProbe(args.name))).stdout);
    return { data: { uid: after.found?.uid, home: after.found?.home } };
  },
  async undo(ctx, record) {
    if (!record.existed) {
      const exists = await ctx.shell.run(sh`getent passwd ${record.name}`, { check: false });
      if (exists.code === 0) await ctx.shell.run(sh`userdel ${record.homeCreated ? raw('--remove') : raw('')} -- ${record.name}`);
      return;
    }
    const a = record.account;
    const supplementary = a.groups.filter((g) => g !== a.group).join(',');
    const exists = await ctx.shell.run(sh`getent passwd ${record.name}`, { check: false });
    if (exists.code === 0) {
      await ctx.shell.run(sh`usermod --home ${a.home} --shell ${a.shell} --gid ${a.group} --groups ${supplementary} -- ${record.name}`);
    } else {
      // userdel took the account's own group with it (USERGROUPS_ENAB): it comes back first, same gid.
      await ctx.shell.run(sh`if ! getent group ${a.group} >/dev/null; then groupadd ${a.gid === undefined ? raw('') : sh`--gid ${a.gid}`} -- ${a.group}; fi
useradd --no-create-home --uid ${a.uid} --home-dir ${a.home} --shell ${a.shell} --gid ${a.group} ${supplementary ? sh`--groups ${supplementary}` : raw('')} -- ${record.name}`);
    }
  },
});

function opt(flag: string, value: string | undefined) {
  return value === undefined ? raw('') : sh`${flag} ${value}`;
}
