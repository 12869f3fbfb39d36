// download: a release fetched on the host from mirrors in turn (Ansible's get_url), checked
// against a sha256/sha512 or an Apache .sha512 file before it is renamed into place; skipped when
// dest already matches, so a re-run downloads nothing.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  defineTask, placeTemp, raw, sh, tempBeside, TaskError, z, chownSpec, ownerArgs, pathArg,
  checksumUrlSpec, parseChecksumFile, parseChecksumSpec, applyContent, backupScript, chmodMode,
  priorOf, restore, parsePathState, PROBE_FUNCTION, probeScript, splitSections, type HostShell,
  type Attrs, type Algorithm, type ChecksumSpec, type ContentPlan, type Prior,
} from 'runbook';

const url = z.string().regex(/^(https?|ftp|file):\/\/\S+$/, 'not an http(s), ftp or file URL');

const args = z.strictObject({
  url: z.union([url, z.array(url).min(1)]).transform((u) => (Array.isArray(u) ? u : [u])).describe('One URL, or mirrors tried in order (Apache: dlcdn first, archive.apache.org after).'),
  dest: z.string().min(1).describe('The file to write; ending in `/`, a directory that keeps the URL\'s file name.'),
  checksum: z
    .string()
    .refine((c) => parseChecksumSpec(c) !== null, { message: 'checksum must be sha256:<hex>, sha512:<hex> or sha512:<url of a checksum file>' })
    .optional().describe('sha256:<hex>, sha512:<hex>, or sha512:<url> of a checksum file (Apache\'s .sha512); a file at dest that matches is not downloaded again.'),
  checksum_url: url.optional().describe('A checksum file URL (Apache\'s .sha512 beside each release); the extension names the algorithm.'),
  ...ownerArgs,
  retries: z.number().int().min(0).default(3).describe('Attempts per URL after the first, for transient failures.'),
  timeout: z.number().positive().default(30).describe('Seconds: connect timeout, and how long a transfer may stall before it is abandoned.'),
  via: z.enum(['host', 'controller']).default('host').describe('host: the host downloads (curl or wget); controller: the controller downloads once, caches it by checksum, uploads.'),
})
  .refine((a) => !(a.checksum && a.checksum_url), { message: 'give checksum or checksum_url, not both' })
  .refine((a) => a.via === 'host' || a.checksum || a.checksum_url, { message: 'via: controller needs a checksum (the cache is keyed by it)' });

type Args = z.output<typeof args>;

interface Observed {
  dest: string;
  prior: Prior;
  /** Expected digest, when a checksum was given. */
  expected?: { algo: Algorithm; hex: string };
}

function destOf(a: Args): string {
  return pathArg.parse(a.dest.endsWith('/') ? posix.join(a.dest, posix.basename(new URL(a.url[0]).pathname)) : a.dest);
}

function specOf(a: Args): ChecksumSpec | undefined {
  if (a.checksum) return parseChecksumSpec(a.checksum)!;
  if (a.checksum_url) return checksumUrlSpec(a.checksum_url);
  return undefined;
}

/** sh function `rb_fetch URL FILE`: curl, else wget, with the task's retries and timeouts. */
function fetchFunction(a: Args): ReturnType<typeof sh> {
  const t = String(Math.ceil(a.timeout));
  return sh`rb_fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry ${a.retries} --retry-delay 1 --connect-timeout ${t} --speed-limit 1 --speed-time ${t} -o "$2" --url "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q --tries=${a.retries + 1} --timeout=${t} -O "$2" -- "$1"
  else echo 'neither curl nor wget is installed on the host' >&2; return 127; fi
}`;
}

export default defineTask<typeof args, Observed, Prior>({
  name: 'download',
  description: 'Download a file (mirrors, sha256/sha512 or an Apache .sha512 file), atomically; skipped when dest matches',
  doc: `Fetches \`url\` (or the first of a list of mirrors that works) to \`dest\`, atomically: into a temp
file beside dest, verified, then renamed. A checksum mismatch fails and leaves dest as it was.
Skipped when dest already matches the checksum (without a checksum: when dest exists). \`--check\`
compares dest's digest with the checksum and downloads nothing (a checksum URL is read, that is all).

- \`checksum\`: \`sha256:<hex>\`, \`sha512:<hex>\`, or \`sha512:<url>\` of a checksum file;
  \`checksum_url\`: the same as a URL alone (Apache's \`.sha512\`; both of Apache's formats,
  \`<hex>  <name>\` and \`<name>: <HEX IN GROUPS>\`, are read).
- \`retries\` (per URL, default 3), \`timeout\` (seconds to connect, and the longest stall, default 30).
- \`via: host\` (default: curl, else wget, on the host) or \`controller\`: the controller downloads once
  into its cache (keyed by checksum, which is then required) and uploads to hosts without internet.
- \`owner\`, \`group\`, \`mode\`. Undo puts back what dest was (removes a new file).

\`\`\`yaml
- name: Download ZooKeeper
  download:
    url:
      - https://dlcdn.apache.org/zookeeper/zookeeper-3.7.1/apache-zookeeper-3.7.1-bin.tar.gz
      - https://archive.apache.org/dist/zookeeper/zookeeper-3.7.1/apache-zookeeper-3.7.1-bin.tar.gz
    checksum: sha512:https://archive.apache.org/dist/zookeeper/zookeeper-3.7.1/apache-zookeeper-3.7.1-bin.tar.gz.sha512
    dest: /opt/
\`\`\``,
  args,
  probe: ({ args: a }) => {
    const dest = destOf(a);
    const spec = specOf(a);
    const readSum =
      spec && 'url' in spec && a.via === 'host' ? sh`rb_section sum; rb_fetch ${spec.url} - || { echo ${`cannot read the checksum file ${spec.url}`} >&2; exit 69; }` : raw(':');
    return sh`${PROBE_FUNCTION}
${fetchFunction(a)}
${readSum}
${probeScript('dest', dest)}
rb_section digest; if [ -f ${dest} ] && [ ! -L ${dest} ]; then ${raw(spec?.algo ?? 'sha256')}sum < ${dest} | cut -d' ' -f1; fi`;
  },
  async check(ctx, probed) {
    const a = ctx.args;
    const dest = destOf(a);
    const spec = specOf(a);
    const name = posix.basename(new URL(a.url[0]).pathname);
    const sections = splitSections(probed);
    let expected: Observed['expected'];
    if (spec) {
      const text = 'url' in spec ? (a.via === 'host' ? sections.get('sum') ?? '' : await fetchText(spec.url, a.timeout, ctx.signal)) : undefined;
      const hex = 'hex' in spec ? spec.hex : parseChecksumFile(text!, spec.algo, name);
      if (!hex) throw new TaskError(`no ${spec.algo} checksum for ${name} in ${(spec as { url: string }).url}`);
      expected = { algo: spec.algo, hex };
    }
    const found = parsePathState(sections.get('dest'));
    if (found.type === 'directory') throw new TaskError(`${dest} is a directory`, { hint: 'end dest with / to download into it, keeping the file name' });
    if (found.type === 'link' || found.type === 'other') throw new TaskError(`${dest} is a ${found.type}, not a file`);
    if (found.type === 'absent' && !found.parentExists) throw new TaskError(`cannot download to ${dest}: its directory does not exist`, { hint: 'create it first with the file task (state: directory)' });
    const digest = (sections.get('digest') ?? '').trim();
    if (found.type === 'file' && (!expected || digest === expected.hex)) {
      return { inSync: true, summary: expected ? `${dest} matches its ${expected.algo}` : `${dest} exists (no checksum to compare)` };
    }
    const prior = priorOf(found);
    const why = found.type === 'absent' ? 'download' : `re-download (${expected!.algo} differs)`;
    return { inSync: false, observed: { dest, prior, expected }, undo: prior, summary: `${why} ${a.url[0]} → ${dest}${a.via === 'controller' ? ' via the controller' : ''}` };
  },

  async apply(ctx, observed) {
    const o = observed!;
    const a = ctx.args;
    const attrs: Attrs = { owner: a.owner, group: a.group, mode: a.mode };
    if (a.via === 'controller') {
      const cached = await cachedDownload(a, o.expected!, ctx.controller.cacheDir, ctx.signal);
      const plan: ContentPlan = { path: o.dest, prior: o.prior, attrs: { ...attrs, mode: attrs.mode ?? '0644' } };
      await applyContent(ctx.shell, plan, { stream: createReadStream(cached), size: (await stat(cached)).size });
      return;
    }
    await downloadOnHost(ctx.shell, a, o, attrs);
  },

  async undo(ctx, record) {
    await restore(ctx.shell, record);
  },
});

async function downloadOnHost(shell: HostShell, a: Args, o: Observed, attrs: Attrs): Promise<void> {
  const { dest, expected } = o;
  const owner = chownSpec(attrs);
  const verify = expected
    ? sh`rb_got=$(${raw(expected.algo)}sum < "$t" | cut -d' ' -f1)
if [ "$rb_got" != ${expected.hex} ]; then echo "checksum mismatch for $rb_ok: expected "${expected.hex}", got $rb_got" >&2; exit 66; fi`
    : raw(':');
  const r = await shell.run(
    sh`set -e
${fetchFunction(a)}
${backupScript(o.prior)}
${tempBeside(dest, '.runbook-download')}
rb_ok=
for rb_u in ${a.url}; do
  if rb_fetch "$rb_u" "$t"; then rb_ok=$rb_u; break; fi
  echo "download failed: $rb_u" >&2
done
if [ -z "$rb_ok" ]; then exit 22; fi
${verify}
${owner ? sh`chown ${owner} "$t"` : raw(':')}
chmod ${chmodMode(attrs.mode ?? '0644')} "$t"
${placeTemp(dest)}`,
    { check: false },
  );
  if (r.code === 66) throw new TaskError(r.stderr.trim().split('\n').pop()!, { hint: 'the file at the URL is not the one the checksum names; nothing was written to dest' });
  if (r.code === 22) throw new TaskError(`download failed from every URL:\n${r.stderr.trim()}`, { hint: 'check the URL, or add a mirror (archive.apache.org keeps old releases)' });
  if (r.code !== 0) throw new TaskError(`download to ${dest} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** The file in the controller's cache (downloaded once, verified), named by its checksum. */
async function cachedDownload(a: Args, expected: { algo: Algorithm; hex: string }, cacheDir: string, signal: AbortSignal): Promise<string> {
  const path = join(cacheDir, `${expected.algo}-${expected.hex}`);
  if (await stat(path).then(() => true, () => false)) return path;
  await mkdir(cacheDir, { recursive: true });
  const failures: string[] = [];
  for (const u of a.url) {
    for (let attempt = 0; attempt <= a.retries; attempt++) {
      const tmp = `${path}.${randomUUID()}.part`;
      // `timeout` is how long the transfer may stall, not how long it may take: a big release
      // over a slow link keeps going as long as bytes keep coming.
      const stalled = idleTimer(a.timeout * 1000, u);
      try {
        const res = await fetch(u, { signal: AbortSignal.any([signal, stalled.signal]) });
        if (!res.ok || !res.body) {
          failures.push(`${u}: HTTP ${res.status}`);
          if (res.status >= 400 && res.status < 500) break; // not transient: next mirror
          continue;
        }
        const hash = createHash(expected.algo);
        stalled.alive();
        const tap = new Transform({ transform: (chunk, _enc, done) => (stalled.alive(), hash.update(chunk), done(null, chunk)) });
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tap, createWriteStream(tmp));
        const got = hash.digest('hex');
        if (got !== expected.hex) {
          throw new TaskError(`checksum mismatch for ${u}: expected ${expected.hex}, got ${got}`, { hint: 'nothing was written to dest' });
        }
        await rename(tmp, path);
        return path;
      } catch (e) {
        if (e instanceof TaskError) throw e;
        failures.push(`${u}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        stalled.stop();
        await rm(tmp, { force: true });
      }
    }
  }
  throw new TaskError(`download failed from every URL:\n${failures.join('\n')}`, { hint: 'check the URL, or add a mirror' });
}

/** A signal that aborts once `ms` pass without a call to `alive()`. */
function idleTimer(ms: number, url: string): { signal: AbortSignal; alive(): void; stop(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data from ${url} for ${ms / 1000} s`)), ms);
  };
  alive();
  return { signal: controller.signal, alive, stop: () => clearTimeout(timer) };
}

async function fetchText(u: string, timeout: number, signal: AbortSignal): Promise<string> {
  const res = await fetch(u, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeout * 1000)]) }).catch((e: Error) => {
    throw new TaskError(`cannot read the checksum file ${u}: ${e.message}`);
  });
  if (!res.ok) throw new TaskError(`cannot read the checksum file ${u}: HTTP ${res.status}`);
  return res.text();
}
