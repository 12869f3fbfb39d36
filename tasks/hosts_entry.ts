// hosts_entry: one address and its names in /etc/hosts, the manuals' private-IP mapping; other
// lines lose those names, so Debian's 127.0.1.1 line cannot shadow the private address.

import { isIP } from 'node:net';
import { defineTask, z, applyContent, undoContent, driftOf, checkEdit, contentProbe, parseContentProbe, joinLines, splitLines, type ContentPlan, type ContentUndo } from 'runbook';

const hostName = z.string().regex(/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/, 'not a valid host name');

const args = z.strictObject({
  address: z
    .string()
    .refine((a) => isIP(a) !== 0, { message: 'address must be an IPv4 or IPv6 address' })
    .refine((a) => a !== '0.0.0.0' && a !== '::', {
      message: 'refusing 0.0.0.0: it is not an address other hosts (or this one) can connect to; use the private IP (e.g. {{ private_ip }})',
    }).describe('The IP address the names map to (never 0.0.0.0).'),
  names: z.union([hostName, z.array(hostName).min(1)]).transform((n) => (Array.isArray(n) ? n : [n])).describe('One name or a list: the first is the canonical one; other lines naming them are replaced.'),
  path: z.string().min(1).default('/etc/hosts').describe('The hosts file to edit.'),
});

type Args = z.output<typeof args>;

/**
 * Our line replaces every mention of our names: a line that maps one of them elsewhere (Debian's
 * `127.0.1.1 kafka01`) loses that name, and disappears when no name is left. Comments and other
 * lines stay as they are. Our line goes where the first mention was, or at the end.
 */
export function editHosts(text: string | null, a: Args): string {
  const names = new Set(a.names.map((n) => n.toLowerCase()));
  const ours = `${a.address} ${a.names.join(' ')}`;
  const out: string[] = [];
  let placed = false;
  let changed = text === null;
  for (const line of splitLines(text)) {
    const hash = line.indexOf('#');
    const fields = (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter(Boolean);
    const mentions = fields.slice(1).some((f) => names.has(f.toLowerCase()));
    if (fields.length < 2 || !mentions) {
      out.push(line);
      continue;
    }
    if (!placed && fields[0] === a.address && fields.slice(1).join(' ') === a.names.join(' ')) {
      out.push(line);
      placed = true;
      continue;
    }
    changed = true;
    if (!placed) {
      out.push(ours);
      placed = true;
    }
    const rest = fields.slice(1).filter((f) => !names.has(f.toLowerCase()));
    if (rest.length > 0) out.push([fields[0], ...rest].join(' ') + (hash >= 0 ? ' ' + line.slice(hash) : ''));
  }
  if (!placed) {
    out.push(ours);
    changed = true;
  }
  return changed ? joinLines(out) : text!;
}

export default defineTask<typeof args, ContentPlan, ContentUndo>({
  name: 'hosts_entry',
  description: 'Map an address to host names in /etc/hosts, replacing other lines for those names',
  doc: `Keeps the line \`<address> <names...>\` in \`/etc/hosts\` (or \`path\`). Other lines that mention one
of the names lose it (a line left with no name is removed), so Debian's \`127.0.1.1 kafka01\` does
not shadow the private address. \`0.0.0.0\` is refused: the manuals' \`0.0.0.0 kafka01\` for the
host's own name breaks ZooKeeper's quorum; use the private IP.

\`\`\`yaml
- name: Private address of kafka01
  hosts_entry:
    address: 10.128.0.11
    names: [kafka01, kafka01.internal]
\`\`\``,
  args,
  probe: ({ args: a }) => contentProbe(a.path),
  async check(ctx, probed) {
    const a = ctx.args;
    return checkEdit(ctx.shell, parseContentProbe(probed), (text) => editHosts(text, a));
  },
  async apply(ctx, plan) {
    await applyContent(ctx.shell, plan!);
  },
  async undo(ctx, record) {
    await undoContent(ctx.shell, record);
  },
  drift: (ctx, record) => driftOf(ctx.shell, record.prior),
});
