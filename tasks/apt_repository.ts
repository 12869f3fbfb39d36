// apt_repository: a deb822 `.sources` file in /etc/apt/sources.list.d with its own signing key in
// /etc/apt/keyrings (Signed-By), the way Debian now recommends instead of apt-key.
//
// The key is fetched on the host (which needs to reach the repository anyway), then decoded and
// fingerprinted here on the controller: an ASCII-armored key is dearmored into the binary keyring
// apt reads, so the host needs neither gpg nor a trust decision of its own.

import { createHash } from 'node:crypto';
import {
  defineTask, z, sh, raw, TaskError, planContent, applyContent, undoContent, PROBE_FUNCTION, privateTempDir,
  probeScript, splitSections, parsePathState, priorOf, type CheckResult, type HostShell, type ShellText,
  type ContentPlan, type ContentUndo, type PathState,
} from 'runbook';

const oneLine = z.string().min(1).refine((s) => !/[\n\r]/.test(s), 'must be one line');
const words = z.union([oneLine, z.array(oneLine).min(1)]);

export const repositoryArgs = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only (it names files)').describe('File name: /etc/apt/sources.list.d/<name>.sources and /etc/apt/keyrings/<name>.gpg.'),
  uris: words.describe('The repository\'s base URL(s), the URIs: line.'),
  suites: words.describe('The Suites: line, e.g. stable or bookworm.'),
  components: words.optional().describe('The Components: line, e.g. main.'),
  types: z.union([z.enum(['deb', 'deb-src']), z.array(z.enum(['deb', 'deb-src']))]).default('deb').describe('deb, deb-src or both.'),
  key_url: z.url().optional().describe('URL of the repository\'s signing key (armored or binary OpenPGP).'),
  key_fingerprint: z
    .string()
    .transform((s) => s.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase())
    .pipe(z.string().regex(/^([0-9A-F]{40}|[0-9A-F]{64})$/, 'a 40 or 64 hex digit fingerprint'))
    .optional().describe('Expected fingerprint of the key\'s primary key (spaces allowed); a mismatch fails.'),
  state: z.enum(['present', 'absent']).default('present').describe('present: the .sources file and its key are there; absent: both are removed.'),
  update_cache: z.boolean().default(true).describe('Run `apt-get update` after the repository changed, so the next apt step sees its packages.'),
});
export type RepositoryArgs = z.output<typeof repositoryArgs>;

export interface RepositoryObserved {
  plans: ContentPlan[];
  /** Paths to remove (state: absent). */
  remove: string[];
  keyringDir: boolean;
  update: boolean;
}
export interface RepositoryUndo {
  files: ContentUndo[];
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
export const sourcesPath = (name: string) => `/etc/apt/sources.list.d/${name}.sources`;
export const keyringPath = (name: string) => `/etc/apt/keyrings/${name}.gpg`;

export function sourcesContent(args: RepositoryArgs): string {
  const lines = [
    `Types: ${list(args.types).join(' ')}`,
    `URIs: ${list(args.uris).join(' ')}`,
    `Suites: ${list(args.suites).join(' ')}`,
  ];
  if (args.components) lines.push(`Components: ${list(args.components).join(' ')}`);
  if (args.key_url) lines.push(`Signed-By: ${keyringPath(args.name)}`);
  return lines.join('\n') + '\n';
}

/** The binary OpenPGP bytes of a key, dearmoring it when it is ASCII-armored (RFC 4880 §6.2). */
export function dearmor(key: Buffer): Buffer {
  const text = key.toString('latin1');
  const begin = text.indexOf('-----BEGIN PGP PUBLIC KEY BLOCK-----');
  if (begin < 0) return key;
  const lines = text.slice(begin).split(/\r?\n/);
  const end = lines.findIndex((l) => l.startsWith('-----END PGP PUBLIC KEY BLOCK-----'));
  if (end < 0) throw new TaskError('the armored key has no END line');
  const body = lines.slice(1, end);
  const blank = body.findIndex((l) => l.trim() === '');
  const data = body.slice(blank + 1).filter((l) => l.trim() !== '' && !/^=[A-Za-z0-9+/]{4}$/.test(l.trim()));
  return Buffer.from(data.join(''), 'base64');
}

/** Fingerprints of the primary keys in binary OpenPGP data (v4: SHA-1, v5/v6: SHA-256), upper-case hex. */
export function primaryFingerprints(data: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    const head = data[i];
    if ((head & 0x80) === 0) throw new TaskError('the key is not OpenPGP data');
    let tag: number;
    let len: number;
    let at: number;
    if (head & 0x40) {
      tag = head & 0x3f;
      const o1 = data[i + 1];
      if (o1 < 192) [len, at] = [o1, i + 2];
      else if (o1 < 224) [len, at] = [((o1 - 192) << 8) + data[i + 2] + 192, i + 3];
      else if (o1 === 255) [len, at] = [data.readUInt32BE(i + 2), i + 6];
      else throw new TaskError('partial-length packets are not valid in a key');
    } else {
      tag = (head >> 2) & 0x0f;
      const type = head & 3;
      if (type === 0) [len, at] = [data[i + 1], i + 2];
      else if (type === 1) [len, at] = [data.readUInt16BE(i + 1), i + 3];
      else if (type === 2) [len, at] = [data.readUInt32BE(i + 1), i + 5];
      else [len, at] = [data.length - i - 1, i + 1];
    }
    if (at + len > data.length) throw new TaskError('the key data is truncated');
    if (tag === 6) {
      const body = data.subarray(at, at + len);
      const version = body[0];
      if (version === 4) {
        const prefix = Buffer.from([0x99, len >> 8, len & 0xff]);
        out.push(createHash('sha1').update(prefix).update(body).digest('hex').toUpperCase());
      } else if (version === 5 || version === 6) {
        const prefix = Buffer.alloc(5);
        prefix[0] = version === 5 ? 0x9a : 0x9b;
        prefix.writeUInt32BE(len, 1);
        out.push(createHash('sha256').update(prefix).update(body).digest('hex').toUpperCase());
      }
    }
    i = at + len;
  }
  return out;
}

/** The keyring to install: dearmored, and checked against the expected fingerprint. */
export function keyringFrom(fetched: Buffer, url: string, expected?: string): Buffer {
  const binary = dearmor(fetched);
  const found = primaryFingerprints(binary);
  if (found.length === 0) throw new TaskError(`${url} holds no OpenPGP public key`);
  if (expected && !found.includes(expected)) {
    throw new TaskError(`the key at ${url} has fingerprint ${found.join(', ')}, not ${expected}`, {
      hint: 'someone may be serving a different key; compare with the fingerprint the vendor publishes',
    });
  }
  return binary;
}

const FETCH = raw(`rb_fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 --max-time 60 -- "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -T 60 -O - -- "$1"
  else echo 'neither curl nor wget is installed' >&2; return 127; fi
}`);

/** The probe: the sources file, the keyring, and the key as the URL serves it now. */
export function repositoryProbe(args: RepositoryArgs): ShellText {
  const fetch =
    args.key_url && args.state === 'present'
      ? sh`${privateTempDir('rb_k')}
rb_section key; if rb_fetch ${args.key_url} > "$rb_k/key"; then base64 -w0 < "$rb_k/key"; echo; else echo "fetch-failed=$?"; fi`
      : raw(':');
  return sh`${PROBE_FUNCTION}
${FETCH}
${probeScript('sources', sourcesPath(args.name))}
${probeScript('keyring', keyringPath(args.name))}
${fetch}`;
}

export function checkRepository(args: RepositoryArgs, probed: string): CheckResult<RepositoryObserved, RepositoryUndo> {
  const sources = sourcesPath(args.name);
  const sections = splitSections(probed);
  const found = [parsePathState(sections.get('sources')), parsePathState(sections.get('keyring'))];
  const keyringDir = found[1].type === 'absent' && !found[1].parentExists;

  if (args.state === 'absent') {
    const present = found.filter((f) => f.type !== 'absent');
    const undo = { files: found.map((f) => ({ prior: priorOf(f) })) };
    if (!present.length) return { inSync: true, undo };
    return {
      inSync: false,
      observed: { plans: [], remove: present.map((f) => f.path), keyringDir: false, update: args.update_cache },
      undo,
      summary: `remove ${present.map((f) => f.path).join(', ')}`,
      diff: present.flatMap((f) => (f.type === 'file' && f.path === sources ? [{ path: f.path, before: f.content?.toString('utf8') ?? null, after: null }] : [])),
    };
  }

  const wanted: Array<{ found: PathState; content: Buffer }> = [{ found: found[0], content: Buffer.from(sourcesContent(args)) }];
  if (args.key_url) {
    const key = (sections.get('key') ?? '').trim();
    if (key.startsWith('fetch-failed=') || key === '') {
      throw new TaskError(`could not fetch the repository key from ${args.key_url}`, { hint: 'the host must reach the URL (curl or wget is used)' });
    }
    wanted.push({ found: keyringDir ? { ...found[1], parentExists: true } as PathState : found[1], content: keyringFrom(Buffer.from(key, 'base64'), args.key_url, args.key_fingerprint) });
  }
  const results = wanted.map((w) => planContent(w.found, { content: w.content, attrs: { mode: '0644' } }));
  const plans = results.filter((c) => !c.inSync).map((c) => c.observed!);
  const undo = { files: results.map((c) => c.undo!) };
  if (!plans.length) return { inSync: true, undo };
  return {
    inSync: false,
    observed: { plans, remove: [], keyringDir, update: args.update_cache },
    undo,
    summary: results.filter((c) => !c.inSync).map((c) => c.summary).join('; '),
    diff: results.flatMap((c) => c.diff ?? []),
  };
}

export async function applyRepository(shell: HostShell, observed: RepositoryObserved): Promise<void> {
  if (observed.keyringDir) await shell.run(sh`mkdir -p -m 0755 /etc/apt/keyrings`);
  for (const plan of observed.plans) await applyContent(shell, plan);
  if (observed.remove.length) await shell.run(sh`rm -f -- ${observed.remove}`);
  if (observed.update) {
    await shell.run(sh`export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update >&2 && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp`);
  }
}

export async function undoRepository(shell: HostShell, record: RepositoryUndo): Promise<void> {
  for (const file of record.files) await undoContent(shell, file);
}

export default defineTask<typeof repositoryArgs, RepositoryObserved, RepositoryUndo>({
  name: 'apt_repository',
  description: 'Add an apt repository as a deb822 .sources file with its own signing key',
  doc: `Writes \`/etc/apt/sources.list.d/<name>.sources\` (deb822: Types, URIs, Suites, Components,
Signed-By) and, with \`key_url\`, the repository's signing key as \`/etc/apt/keyrings/<name>.gpg\`.

The key is fetched on the host (curl or wget), dearmored when it is ASCII-armored, and its primary
key fingerprint is compared with \`key_fingerprint\`: a mismatch fails before anything is written.
After a change, \`apt-get update\` runs (\`update_cache: false\` to skip it). \`state: absent\`
removes both files. Undo puts both files back as they were (removes them when the step created them).

Amazon Corretto (the manual's Java):

\`\`\`yaml
- name: Add the Amazon Corretto repository
  become: true
  apt_repository:
    name: corretto
    uris: https://apt.corretto.aws
    suites: stable
    components: main
    key_url: https://apt.corretto.aws/corretto.key
    key_fingerprint: 6DC3636DAE534049C8B94623A122542AB04F24E3
\`\`\``,
  args: repositoryArgs,
  probe: ({ args }) => repositoryProbe(args),
  check: async (ctx, probed) => checkRepository(ctx.args, probed),
  apply: (ctx, observed) => applyRepository(ctx.shell, observed!),
  undo: (ctx, record) => undoRepository(ctx.shell, record),
});
