// ssh_keygen: an SSH key pair, made once. An existing private key is never touched (a key is an
// identity: replacing it would lock its user out of every host that trusts it). The passphrase
// reaches ssh-keygen through stdin (it reads it there, twice, when stdin is not a terminal),
// never through a command line, which every user on the host can read with ps.

import { posix } from 'node:path';
import { defineTask, z, sh, raw } from 'runbook';
import { accountName } from './user.js';

const args = z
  .strictObject({
    path: z.string().regex(/^\//, 'an absolute path').refine((p) => !p.includes('\n'), 'one line').describe('The private key file; the public key goes to <path>.pub.'),
    type: z.enum(['rsa', 'ed25519']).default('rsa').describe('Key type: rsa or ed25519.'),
    bits: z.coerce.number().int().min(2048).max(16384).optional().describe('Key size in bits (rsa only; default ssh-keygen\'s 3072).'),
    passphrase: z.string().default('').describe('Empty (the default) for a key that services and scripts can use unattended.'),
    comment: z.string().refine((c) => !c.includes('\n'), 'one line').optional().describe('The key\'s comment (default: user@host).'),
    owner: accountName.optional().describe('The user who owns the key files (and the directory, when it is created).'),
  })
  .refine((a) => a.bits === undefined || a.type === 'rsa', 'bits applies to rsa keys only');

interface KeygenUndo {
  path: string;
  /** The directory the step created for the key, removed by undo when empty. */
  dirCreated: boolean;
}

export default defineTask<typeof args, undefined, KeygenUndo>({
  name: 'ssh_keygen',
  description: 'Generate an SSH key pair unless the key already exists',
  doc: `Runs \`ssh-keygen -t <type> [-b <bits>] -f <path>\` (the passphrase on its stdin) when \`path\` does not exist
(an existing key is never overwritten or changed). \`passphrase\` is empty by default (a key a
service can use unattended) and is a secret: it is passed on stdin and redacted from logs and the
journal. With \`owner\`, the key files (and the directory, if the step creates it, mode 0700)
belong to that user. \`register\` gets \`public_key\`. Undo removes the key pair only if this step
made it.

\`\`\`yaml
- name: Generate an SSH key pair (ssh-keygen -t rsa -P '')
  become: true
  ssh_keygen:
    path: /home/kafka/.ssh/id_rsa
    type: rsa
    bits: 4096
    owner: kafka
\`\`\``,
  args,
  secretArgs: ['passphrase'],
  probe: ({ args: { path } }) => sh`if [ -e ${path} ]; then echo exists; cat -- ${`${path}.pub`} 2>/dev/null || true; elif [ -d "$(dirname -- ${path})" ]; then echo dir; else echo nodir; fi`,
  async check(ctx, probed) {
    const { path } = ctx.args;
    const [state, ...pub] = probed.split('\n');
    if (state === 'exists') return { inSync: true, data: { public_key: pub.join('\n').trim() } };
    return {
      inSync: false,
      undo: { path, dirCreated: state === 'nodir' },
      summary: `generate ${ctx.args.type} key ${path}`,
    };
  },
  async apply(ctx) {
    const { path, type, bits, passphrase, comment, owner } = ctx.args;
    const dir = posix.dirname(path);
    const chown = owner ? sh`chown ${`${owner}:`} -- ${path} ${`${path}.pub`}` : raw(':');
    const chownDir = owner ? sh`chown ${`${owner}:`} -- ${dir}` : raw(':');
    const r = await ctx.shell.run(
      sh`set -e
if [ ! -d ${dir} ]; then mkdir -p -m 0700 -- ${dir}; ${chownDir}; fi
IFS= read -r pp || true
unset DISPLAY SSH_ASKPASS SSH_ASKPASS_REQUIRE
printf '%s\\n%s\\n' "$pp" "$pp" | ssh-keygen -q -t ${type} ${bits ? sh`-b ${bits}` : raw('')} ${comment !== undefined ? sh`-C ${comment}` : raw('')} -f ${path} >&2
${chown}
cat -- ${`${path}.pub`}`,
      { stdin: passphrase + '\n' },
    );
    return { data: { public_key: r.stdout.trim() } };
  },
  async undo(ctx, record) {
    const dir = posix.dirname(record.path);
    await ctx.shell.run(sh`rm -f -- ${record.path} ${`${record.path}.pub`}
${record.dirCreated ? sh`rmdir -- ${dir} 2>/dev/null || true` : raw(':')}`);
  },
});
