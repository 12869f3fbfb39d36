// The owner/group/mode arguments most file tasks take, and how they compare with what a probe
// found. Owners may be names or numeric ids, like chown accepts.

import { z } from 'zod';

/**
 * `mode: '0644'` (quote it in YAML). An unquoted 0644 reaches us as the number 644 under YAML 1.2;
 * its digits are read as octal, which is what the author meant.
 */
export const modeArg = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((m, ctx) => {
    const digits = String(m).replace(/^0+(?=\d{3})/, '');
    if (!/^[0-7]{3,4}$/.test(digits)) {
      ctx.addIssue({ code: 'custom', message: `mode must be octal like '0644' or '2755', got ${JSON.stringify(m)}` });
      return z.NEVER;
    }
    return digits.padStart(4, '0');
  });

const name = z.string().min(1).refine((s) => !s.includes(':') && !s.includes('\n'), 'must be a user or group name or a numeric id');

/**
 * A path on the host, as the kernel will read it: repeated slashes collapsed and trailing ones
 * dropped. A trailing slash makes the kernel follow a symlink at the path, so `/x/link/` would
 * otherwise name the directory the link points to while the task probed and backed up the link.
 */
export const pathArg = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), 'a path cannot contain a NUL byte')
  .transform((p) => p.replace(/\/{2,}/g, '/').replace(/(.)\/+$/, '$1'));

export const ownerArgs = {
  owner: name.optional().describe('User name or uid.'),
  group: name.optional().describe('Group name or gid.'),
  mode: modeArg.optional().describe("Permissions, octal: '0644', '2755' (quote it in YAML, or 0644 reads as a number)."),
};

export interface Attrs {
  owner?: string;
  group?: string;
  /** Four octal digits, as modeArg produces. */
  mode?: string;
}

interface Found {
  mode: string;
  uid: number;
  gid: number;
  user: string;
  group: string;
}

/** The differences between wanted attributes and found ones, as short phrases ('mode 0644 → 0600'). */
export function attrChanges(want: Attrs, found: Found): string[] {
  const changes: string[] = [];
  if (want.owner !== undefined && want.owner !== found.user && want.owner !== String(found.uid)) changes.push(`owner ${found.user} → ${want.owner}`);
  if (want.group !== undefined && want.group !== found.group && want.group !== String(found.gid)) changes.push(`group ${found.group} → ${want.group}`);
  if (want.mode !== undefined && parseInt(want.mode, 8) !== parseInt(found.mode, 8)) changes.push(`mode ${found.mode.padStart(4, '0')} → ${want.mode}`);
  return changes;
}

/** The word chown takes: `user`, `:group` or `user:group` ('' when neither is wanted). Not `user:`, which would also set the login group. */
export function chownSpec(want: Attrs): string {
  if (want.group === undefined) return want.owner ?? '';
  return `${want.owner ?? ''}:${want.group}`;
}
