// java: a JDK/JRE by distribution and version, and JAVA_HOME for every login shell.
//
// Composed from the other tasks rather than re-implemented: corretto = apt_repository (Amazon's
// repository and key) + apt; openjdk = apt; tarball = download + extract. Each part's own check
// decides, each part's own undo record is kept, and undo runs them newest first. JAVA_HOME is
// found from what was installed (the package's bin/java, or the tarball's), not guessed, and
// written to /etc/profile.d/java.sh.

import { posix } from 'node:path';
import {
  defineTask, runCheck, z, sh, quote, TaskError, applyContent, planContent, priorOf, restore, parsePathState,
  PROBE_FUNCTION, probeScript, splitSections, type CheckResult, type HostShell, type TaskContext,
  type Prior,
} from 'runbook';
import { applyApt, aptArgs, aptProbe, checkApt, undoApt, type AptObserved, type AptUndo } from './apt.js';
import { applyRepository, checkRepository, repositoryArgs, repositoryProbe, undoRepository, type RepositoryObserved, type RepositoryUndo } from './apt_repository.js';
import downloadTask from './download.js';
import extractTask, { type ExtractUndo } from './extract.js';

export const PROFILE = '/etc/profile.d/java.sh';
export const CORRETTO_REPOSITORY = {
  name: 'corretto',
  uris: 'https://apt.corretto.aws',
  suites: 'stable',
  components: 'main',
  key_url: 'https://apt.corretto.aws/corretto.key',
  // As Amazon publishes it in the Corretto Linux installation guide.
  key_fingerprint: '6DC3636DAE534049C8B94623A122542AB04F24E3',
};

const args = z
  .strictObject({
    distribution: z.enum(['corretto', 'openjdk', 'tarball']).default('corretto').describe('corretto: Amazon\'s apt repository; openjdk: a distribution package; tarball: url and checksum.'),
    version: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d+$/, 'a major version like 11 or 17')).default('11').describe('The Java major version, e.g. 11 or 17.'),
    package: z.string().optional().describe('The Debian package instead of the distribution\'s default (empty = default).'),
    url: z.union([z.string(), z.array(z.string()).min(1)]).optional().describe('tarball: where to fetch it (or mirrors in order) and its checksum (sha256:/sha512:).'),
    checksum: z.string().optional().describe('distribution tarball: the checksum of url (as download takes it).'),
    dest: z.string().regex(/^\//, 'an absolute path').optional().describe('tarball: the JDK directory (JAVA_HOME); the archive\'s top directory is stripped.'),
  })
  .refine((a) => a.distribution !== 'tarball' || (a.url !== undefined && a.checksum !== undefined), 'a tarball needs url and checksum');
type Args = z.output<typeof args>;

/** The package a distribution and version mean on Debian/Ubuntu. */
export function packageFor(a: Pick<Args, 'distribution' | 'version' | 'package'>): string {
  if (a.package) return a.package;
  return a.distribution === 'corretto' ? `java-${a.version}-amazon-corretto-jdk` : `openjdk-${a.version}-jdk-headless`;
}

export function profileContent(javaHome: string): string {
  return `# Written by runbook's java task.\nexport JAVA_HOME=${quote(javaHome)}\nexport PATH="$JAVA_HOME/bin:$PATH"\n`;
}

/** The version in `java -version` output (`openjdk version "17.0.15" 2025-04-15`). */
export function parseJavaVersion(out: string): string | undefined {
  return /version "([^"]+)"/.exec(out)?.[1];
}

interface Parts {
  repo?: { check: CheckResult<RepositoryObserved, RepositoryUndo> };
  apt?: { check: CheckResult<AptObserved, AptUndo> };
  download?: { check: CheckResult; ctx: TaskContext<unknown> };
  extract?: { ctx: TaskContext<unknown>; installed: boolean };
}

export interface JavaUndo {
  profile: Prior;
  repo?: RepositoryUndo;
  apt?: AptUndo;
  download?: unknown;
  extract?: ExtractUndo;
}

interface JavaObserved {
  profile: Prior;
}

function sub<A>(ctx: TaskContext<Args>, a: A): TaskContext<A> {
  return { ...ctx, args: a } as TaskContext<A>;
}

function tarballParts(ctx: TaskContext<Args>) {
  const a = ctx.args;
  const urls = Array.isArray(a.url) ? a.url : [a.url!];
  const dest = a.dest ?? `/usr/lib/jvm/java-${a.version}-tarball`;
  const archive = posix.join(posix.dirname(dest), posix.basename(new URL(urls[0]).pathname));
  return {
    dest,
    download: sub(ctx, downloadTask.args.parse({ url: urls, dest: archive, checksum: a.checksum })),
    extract: sub(ctx, extractTask.args.parse({ src: archive, dest, strip_components: 1, creates: `${dest}/bin/java` })),
  };
}

/**
 * JAVA_HOME of what is installed: the tarball's directory, or the directory above the bin/java
 * the package ships (a metapackage like default-jre ships none: then the java on PATH), and what
 * `java -version` says there; plus the profile file as it is.
 */
async function probeJava(shell: HostShell, a: Args, tarballHome?: string) {
  const find = tarballHome
    ? sh`j=${`${tarballHome}/bin/java`}`
    : sh`j=$(dpkg -L ${packageFor(a)} 2>/dev/null | grep -m1 '/bin/java$'); [ -n "$j" ] || j=$(command -v java 2>/dev/null); [ -z "$j" ] || j=$(readlink -f -- "$j")`;
  const r = await shell.run(sh`${PROBE_FUNCTION}
${probeScript('profile', PROFILE)}
rb_section java; ${find}
if [ -n "$j" ] && [ -x "$j" ]; then printf 'java=%s\\n' "$j"; "$j" -version 2>&1 | head -n 1; fi`);
  const sections = splitSections(r.stdout);
  const java = /^java=(.*)$/m.exec(sections.get('java') ?? '')?.[1];
  let home = java?.replace(/\/bin\/java$/, '').replace(/\/jre$/, '');
  if (tarballHome && java) home = tarballHome;
  return { profile: parsePathState(sections.get('profile')), home, version: parseJavaVersion(sections.get('java') ?? '') };
}

async function checkParts(ctx: TaskContext<Args>): Promise<Parts> {
  const a = ctx.args;
  const parts: Parts = {};
  if (a.distribution === 'tarball') {
    const t = tarballParts(ctx);
    parts.download = { check: await runCheck(downloadTask, t.download as TaskContext<unknown>), ctx: t.download as TaskContext<unknown> };
    const installed = (await ctx.shell.run(sh`test -x ${`${t.dest}/bin/java`}`, { check: false })).code === 0;
    parts.extract = { ctx: t.extract as TaskContext<unknown>, installed };
    return parts;
  }
  let pendingRepo = false;
  if (a.distribution === 'corretto') {
    const repoArgs = repositoryArgs.parse({ ...CORRETTO_REPOSITORY, update_cache: false });
    const repo = checkRepository(repoArgs, (await ctx.shell.run(repositoryProbe(repoArgs))).stdout);
    parts.repo = { check: repo };
    pendingRepo = !repo.inSync;
  }
  // A repository added by this step is only known to apt after an update.
  const packageArgs = aptArgs.parse({ name: packageFor(a), update_cache: pendingRepo });
  parts.apt = { check: checkApt(packageArgs, (await ctx.shell.run(aptProbe(packageArgs))).stdout) };
  return parts;
}

export default defineTask<typeof args, JavaObserved, JavaUndo>({
  name: 'java',
  description: 'Install Java (Amazon Corretto, a distro OpenJDK or a tarball) and set JAVA_HOME',
  doc: `Installs a JDK and sets \`JAVA_HOME\` (and \`PATH\`) for every login shell in \`/etc/profile.d/java.sh\`.

- \`distribution: corretto\` (default): adds Amazon's apt repository (\`https://apt.corretto.aws\`,
  key fingerprint checked, like \`apt_repository\`) and installs \`java-<version>-amazon-corretto-jdk\`.
- \`distribution: openjdk\`: the distribution's \`openjdk-<version>-jdk-headless\` (Debian 12 has 17).
- \`distribution: tarball\`: \`url\` (or mirrors) + \`checksum\` downloaded and extracted into \`dest\`
  (default \`/usr/lib/jvm/java-<version>-tarball\`) with its top directory stripped.
- \`version\`: the major version (default 11); \`package\`: another Debian package (e.g.
  \`openjdk-17-jre-headless\`, \`default-jre\`), empty meaning the default.

\`JAVA_HOME\` is the directory of the \`bin/java\` that was installed. \`register\` gets
\`java_home\` and \`version\` (what \`java -version\` reports). Undo removes what the step installed
(packages, repository, files) and puts the profile file back.

\`\`\`yaml
- name: Install Java 11 (Amazon Corretto)
  become: true
  java:
    version: 11
# The lab (no route to Amazon): Debian's OpenJDK
- name: Install Java 17 (Debian)
  become: true
  java: { distribution: openjdk, version: 17, package: openjdk-17-jre-headless }
\`\`\``,
  args,
  async check(ctx) {
    const a = ctx.args;
    const parts = await checkParts(ctx);
    const tarballHome = a.distribution === 'tarball' ? tarballParts(ctx).dest : undefined;
    const java = await probeJava(ctx.shell, a, tarballHome);
    const profile = priorOf(java.profile);
    const summaries: string[] = [];
    if (parts.repo && !parts.repo.check.inSync) summaries.push(`add the Corretto apt repository`);
    if (parts.apt && !parts.apt.check.inSync) summaries.push(parts.apt.check.summary ?? `install ${packageFor(a)}`);
    if (parts.download && !parts.download.check.inSync) summaries.push(parts.download.check.summary ?? 'download the JDK');
    if (parts.extract && !parts.extract.installed) summaries.push(`extract the JDK into ${tarballHome}`);
    const data = { java_home: java.home, version: java.version };
    const undo: JavaUndo = { profile, ...(parts.repo ? { repo: parts.repo.check.undo } : {}), ...(parts.apt ? { apt: parts.apt.check.undo } : {}), ...(parts.download ? { download: parts.download.check.undo } : {}) };
    if (!summaries.length && java.home) {
      const wanted = planContent(java.profile, { content: Buffer.from(profileContent(java.home)), attrs: { mode: '0644' } });
      if (wanted.inSync) return { inSync: true, data };
      return { inSync: false, observed: { profile }, undo, summary: wanted.summary, diff: wanted.diff, data };
    }
    if (!summaries.length) throw new TaskError(`${packageFor(a)} is installed but ships no bin/java, and there is no java on PATH`, { hint: 'name a JRE/JDK package with package:' });
    return { inSync: false, observed: { profile }, undo, summary: [...summaries, `set JAVA_HOME in ${PROFILE}`].join('; '), data };
  },
  async apply(ctx) {
    const a = ctx.args;
    // Observe again: the parts' plans are cheap, and apply must act on their own observations.
    const parts = await checkParts(ctx);
    const undo: Partial<JavaUndo> = {};
    if (parts.repo && !parts.repo.check.inSync) {
      await applyRepository(ctx.shell, parts.repo.check.observed!);
      undo.repo = parts.repo.check.undo;
    }
    if (parts.apt && !parts.apt.check.inSync) undo.apt = (await applyApt(ctx.shell, parts.apt.check.observed!)).undo;
    if (parts.download) {
      if (!parts.download.check.inSync) {
        const applied = await downloadTask.apply(parts.download.ctx as never, parts.download.check.observed as never);
        undo.download = (applied && applied.undo) ?? parts.download.check.undo;
      }
      const extract = await runCheck(extractTask, parts.extract!.ctx);
      if (!extract.inSync) {
        const applied = await extractTask.apply(parts.extract!.ctx as never, extract.observed as never);
        undo.extract = ((applied && applied.undo) ?? extract.undo) as ExtractUndo;
      }
    }
    const java = await probeJava(ctx.shell, a, a.distribution === 'tarball' ? tarballParts(ctx).dest : undefined);
    if (!java.home) throw new TaskError(`installed ${packageFor(a)} but found no bin/java`);
    // Installed is not enough: the services need a Java that starts.
    if (!java.version) throw new TaskError(`installed ${packageFor(a)}, but ${java.home}/bin/java -version prints no version: it does not run`, { hint: 'run it on the host to see why (a missing library, a JRE for another architecture)' });
    const profile = planContent(java.profile, { content: Buffer.from(profileContent(java.home)), attrs: { mode: '0644' } });
    if (!profile.inSync) await applyContent(ctx.shell, profile.observed!);
    return { undo: { profile: priorOf(java.profile), ...undo } as JavaUndo, data: { java_home: java.home, version: java.version } };
  },
  async undo(ctx, record) {
    await restore(ctx.shell, record.profile);
    if (record.extract) await extractTask.undo!(ctx, record.extract);
    if (record.download) await downloadTask.undo!(ctx, record.download as never);
    if (record.apt) await undoApt(ctx.shell, record.apt);
    if (record.repo) await undoRepository(ctx.shell, record.repo);
  },
});
