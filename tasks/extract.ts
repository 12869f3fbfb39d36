// extract: an archive on the host unpacked into dest (Ansible's unarchive with remote_src), every
// entry checked first so nothing lands outside dest; files it overwrites are backed up for undo.

import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import {
  defineTask, raw, sh, TaskError, z, chownSpec, pathArg, escapes, parseTarDiff, parseTarListing,
  parseZipListing, refusal, stripped, topmost, backupTarScript, parseBackupHash, restoreTarScript,
  parsePathState, PROBE_FUNCTION, probeScript, splitSections, type HostShell, type ArchiveEntry,
} from 'runbook';

const args = z.strictObject({
  src: z.string().min(1).describe('The archive, on the host (e.g. where download put it).'),
  dest: pathArg.describe('The directory to extract into (created when its parent exists).'),
  strip_components: z.number().int().min(0).default(0).describe('tar\'s --strip-components: drop this many leading path components.'),
  creates: z.string().min(1).optional().describe('When this path exists, the archive counts as extracted (a fast no-op check).'),
  owner: z.string().min(1).optional().describe('Owner (name or uid) of everything extracted.'),
  group: z.string().min(1).optional().describe('Group (name or gid) of everything extracted.'),
});

interface Observed {
  format: 'tar' | 'zip';
  createDest: boolean;
  /** Existing entries extraction will overwrite: backed up first. */
  overwritten: string[];
  tops: string[];
  /** The record as check made it; apply adds the backup's hash. */
  undo: ExtractUndo;
}

export interface ExtractUndo {
  dest: string;
  createdDest: boolean;
  /** Shallowest entries (relative to dest) that did not exist before. */
  created: string[];
  /** tar of the entries extraction overwrote, in the backup store; its sha256 once it is made. */
  backup?: string;
  backupSha256?: string;
}

/**
 * In one round trip: the symlinks already in dest on the way to `names` (prefix -> target), which
 * the kernel will follow when tar writes through them, and the free bytes where dest is (or will be).
 */
async function linksAndSpace(shell: HostShell, dest: string, names: string[]): Promise<{ links: Map<string, string>; freeBytes: number }> {
  const prefixes = new Set<string>();
  for (const name of names) for (let d = posix.dirname(name); d !== '.' && d !== '/'; d = posix.dirname(d)) prefixes.add(d);
  const r = await shell.run(
    sh`rb_d=${dest}; if [ ! -d "$rb_d" ]; then rb_d=$(dirname -- "$rb_d"); fi
df -Pk -- "$rb_d" | tail -n 1
while IFS= read -r p; do if [ -L ${dest}/"$p" ]; then printf '%s\\000%s\\000' "$p" "$(readlink -- ${dest}/"$p")"; fi; done`,
    { stdin: [...prefixes].map((p) => p + '\n').join('') },
  );
  const nl = r.stdout.indexOf('\n');
  const freeKb = Number(r.stdout.slice(0, nl).trim().split(/\s+/)[3]);
  const fields = r.stdout.slice(nl + 1).split('\0');
  const links = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) links.set(fields[i], fields[i + 1]);
  return { links, freeBytes: Number.isFinite(freeKb) ? freeKb * 1024 : Infinity };
}

function formatOf(src: string): 'tar' | 'zip' {
  return /\.zip$/i.test(src) ? 'zip' : 'tar';
}

export default defineTask<typeof args, Observed, ExtractUndo>({
  name: 'extract',
  description: 'Unpack a tar.gz/tgz/tar/zip on the host into dest, refusing entries that would land outside it',
  doc: `Extracts \`src\` (an archive already on the host: .tar.gz, .tgz, .tar, .tar.xz, .tar.bz2 with tar;
.zip with unzip) into \`dest\`. Before anything is written the listing is checked, and the archive
is refused, naming the entries, when one has an absolute path, a \`..\` component, or is a link
leading outside dest once links are resolved as the kernel will (through the archive's links and
those already in dest); also when it unpacks to more than dest's filesystem has free (zip:
symlinks are refused). In sync when every entry is there with the
archive's content (\`tar --diff\`; for zip, when every entry exists); \`creates\` makes the check a
single test. \`strip_components\` (tar only), \`owner\`/\`group\` (applied to what was extracted).
Undo removes what extraction created and puts back files it overwrote.

\`\`\`yaml
- name: Unpack Kafka
  extract:
    src: /opt/kafka_2.13-3.5.1.tgz
    dest: /opt
    creates: /opt/kafka_2.13-3.5.1/bin/kafka-server-start.sh
\`\`\``,
  args,
  probe: ({ args: a }) => {
    const { src, dest } = a;
    const listing =
      formatOf(src) === 'tar'
        ? sh`rb_section tv; tar --no-unquote --numeric-owner -tvf ${src} || exit 71
rb_section t; tar --no-unquote -tf ${src} || exit 71
rb_section diff; if [ -d ${dest} ]; then tar --no-unquote -d --strip-components=${a.strip_components} -f ${src} -C ${dest} 2>&1; fi`
        : sh`rb_section tv; unzip -Z ${src} || exit 71
rb_section t; unzip -Z1 ${src} || exit 71
rb_section missing; if [ -d ${dest} ]; then unzip -Z1 ${src} | while IFS= read -r n; do if [ ! -e ${dest}/"$n" ] && [ ! -L ${dest}/"$n" ]; then printf '%s\\n' "$n"; fi; done; fi`;
    return sh`${PROBE_FUNCTION}
${a.creates !== undefined ? sh`if [ -e ${a.creates} ]; then rb_section creates; exit 0; fi` : raw(':')}
if [ ! -f ${src} ]; then rb_section nosrc; exit 0; fi
${probeScript('dest', dest)}
${listing}
true`;
  },
  async check(ctx, probed) {
    const a = ctx.args;
    const { src, dest } = a;
    const format = formatOf(src);
    if (format === 'zip' && a.strip_components > 0) throw new TaskError('strip_components works with tar archives only');
    const sections = splitSections(probed);
    if (sections.has('nosrc')) {
      // Under --check the step that downloads it has not run: say what would happen, not fail.
      if (ctx.checkMode) return { inSync: false, summary: `extract ${src} into ${dest} (not there yet: an earlier step would download it)` };
      throw new TaskError(`archive not found: ${src}`, { hint: 'download it first (download task), to the path given as src' });
    }
    if (sections.has('creates')) return { inSync: true, summary: `${a.creates} exists` };

    const entries: ArchiveEntry[] = format === 'tar' ? parseTarListing(sections.get('tv')!, sections.get('t')!) : parseZipListing(sections.get('tv')!, sections.get('t')!);
    const refusedNames = new Set<string>();
    const refused = entries.flatMap((e) => {
      const why = refusal(e, a.strip_components, format);
      if (why) refusedNames.add(e.name);
      return why ? [`${e.name}: ${why}`] : [];
    });
    const names = entries.flatMap((e) => {
      const s = stripped(e.name, a.strip_components);
      if (s === null) return [];
      // tar strips a hard link's target as it strips names.
      const target = e.type === 'h' && e.target !== undefined ? (stripped(e.target, a.strip_components) ?? e.target) : e.target;
      return [{ name: s.replace(/\/$/, ''), type: e.type, target, size: e.size, refused: refusedNames.has(e.name) }];
    });

    const found = parsePathState(sections.get('dest'));
    if (found.type !== 'absent' && found.type !== 'directory') throw new TaskError(`${dest} is a ${found.type}, not a directory`);
    const onHost = await linksAndSpace(ctx.shell, dest, found.type === 'directory' ? names.map((n) => n.name) : []);
    const links = new Map([...onHost.links, ...names.filter((n) => n.type === 'l').map((n): [string, string] => [n.name, n.target!])]);
    refused.push(...[...escapes(names.filter((n) => !n.refused), links)].map(([n, why]) => `${n}: ${why}`));
    if (refused.length > 0) {
      throw new TaskError(`refusing to extract ${src}: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} would land outside ${dest}:\n  ${refused.join('\n  ')}`, {
        hint: 'the archive (with the links already in dest) is not safe to unpack; get it from a trusted source',
      });
    }
    const unpacked = names.reduce((n, e) => n + e.size, 0);
    if (unpacked > onHost.freeBytes) {
      throw new TaskError(`refusing to extract ${src}: it unpacks to ${unpacked} bytes and the filesystem of ${dest} has ${onHost.freeBytes} free`, {
        hint: 'free some space, or check the archive: a small archive that unpacks to this much is a decompression bomb',
      });
    }
    if (found.type === 'absent' && !found.parentExists) throw new TaskError(`cannot extract into ${dest}: its parent directory does not exist`, { hint: 'create it first with the file task (state: directory)' });
    const createDest = found.type === 'absent';

    let missing: string[];
    let differing: string[];
    if (createDest) {
      missing = names.map((n) => n.name);
      differing = [];
    } else if (format === 'tar') {
      const diff = parseTarDiff(sections.get('diff') ?? '');
      missing = names.filter((n) => diff.get(n.name) === 'missing').map((n) => n.name);
      differing = names.filter((n) => diff.get(n.name) === 'differs' && n.type !== 'd').map((n) => n.name);
    } else {
      const gone = new Set((sections.get('missing') ?? '').split('\n').filter(Boolean).map((n) => n.replace(/\/$/, '')));
      missing = names.filter((n) => gone.has(n.name)).map((n) => n.name);
      differing = [];
    }
    if (missing.length === 0 && differing.length === 0) return { inSync: true, summary: `${src} is extracted in ${dest}` };

    // zip overwrites every existing file it holds; tar only rewrites what differs.
    const overwritten = format === 'zip' ? names.filter((n) => n.type !== 'd' && !missing.includes(n.name)).map((n) => n.name) : differing;
    const undo: ExtractUndo = {
      dest,
      createdDest: createDest,
      created: createDest ? [] : topmost(missing),
      ...(overwritten.length > 0 ? { backup: `extract-${randomUUID()}.tar` } : {}),
    };
    const tops = [...new Set(names.map((n) => n.name.split('/')[0]))];
    const parts = [missing.length > 0 && `${missing.length} missing`, differing.length > 0 && `${differing.length} different`].filter(Boolean).join(', ');
    return {
      inSync: false,
      observed: { format, createDest, overwritten, tops, undo },
      undo,
      summary: `extract ${src} into ${dest}${createDest ? ' (new directory)' : ''} (${parts})`,
    };
  },

  async apply(ctx, observed) {
    const a = ctx.args;
    const o = observed!;
    const { src, dest } = a;
    const owner = chownSpec(a);
    const backup = o.undo.backup ? backupTarScript(o.undo.backup, sh`--verbatim-files-from -C ${dest} -T -`) : raw(':');
    const unpack = o.format === 'tar' ? sh`tar --no-unquote -xf ${src} -C ${dest} --strip-components=${a.strip_components}` : sh`unzip -o -q ${src} -d ${dest}`;
    const r = await ctx.shell.run(
      sh`set -e
${o.createDest ? sh`mkdir -- ${dest}` : raw(':')}
${backup}
${unpack}
${owner ? sh`chown -hR ${owner} -- ${o.tops.map((t) => posix.join(dest, t))}` : raw(':')}`,
      { stdin: o.overwritten.map((n) => n + '\n').join('') },
    );
    return { undo: o.undo.backup ? { ...o.undo, backupSha256: parseBackupHash(r.stdout) } : o.undo };
  },

  async undo(ctx, record) {
    const { dest } = record;
    if (record.backup && !record.backupSha256) {
      throw new TaskError(`cannot restore what extracting overwrote in ${dest}: the run stopped before it recorded the hash of backup ${record.backup}`, {
        hint: 'the tar is in the host backup store (/var/lib/runbook/backups for root); check it and restore it by hand',
      });
    }
    await ctx.shell.run(
      sh`set -e
while IFS= read -r p; do
  f=$(printf '%s' "$p" | base64 -d; echo x); f=\${f%x}
  rm -rf -- ${dest}/"$f"
done
${record.backup ? restoreTarScript(record.backup, record.backupSha256!, dest) : raw(':')}
${record.createdDest ? sh`rm -rf -- ${dest}` : raw(':')}`,
      { stdin: record.created.map((n) => Buffer.from(n).toString('base64') + '\n').join('') },
    );
  },
});
