// The artifact mirror's content: ZooKeeper and Kafka release tarballs at archive.apache.org/dist's
// paths, each with a `.sha512` beside it in Apache's `<hex>  <filename>` format. Lab hosts cannot
// reach Apache (nor can this machine), so the lab builds each tarball in the official layout from
// Maven Central jars plus start/stop/CLI scripts of its own (src/lab/assets/<product>/). A real
// Apache tarball put at the same path in the cache is served as it is.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from './command.js';
import { ARTIFACTS_DIR, ASSETS_DIR, CACHE_DIR } from './paths.js';

export interface Artifact {
  /** Directory under src/lab/assets with pom.xml, bin/ and the config dir. */
  assets: string;
  /** Path under the mirror's root, as under https://archive.apache.org/dist/. */
  path: string;
  /** The tarball's single top-level directory. */
  top: string;
  /** Where the jars go inside it. */
  libDir: string;
  configDir: string;
}

export const ARTIFACTS: Artifact[] = [
  {
    assets: 'zookeeper',
    path: 'zookeeper/zookeeper-3.7.1/apache-zookeeper-3.7.1-bin.tar.gz',
    top: 'apache-zookeeper-3.7.1-bin',
    libDir: 'lib',
    configDir: 'conf',
  },
  {
    assets: 'kafka',
    path: 'kafka/3.5.1/kafka_2.13-3.5.1.tgz',
    top: 'kafka_2.13-3.5.1',
    libDir: 'libs',
    configDir: 'config',
  },
];

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function sha512Of(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Build (or adopt) every artifact that is not in the cache yet. */
export async function ensureArtifacts(log: (line: string) => void): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await Promise.all(ARTIFACTS.map((a) => ensureArtifact(a, log)));
}

/** A hash of the artifact's assets (pom, scripts, configs): a built tarball older than them is rebuilt. */
async function assetsHash(artifact: Artifact): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else hash.update(`${path.slice(ASSETS_DIR.length)}\0${await readFile(path, 'utf8')}\0`);
    }
  };
  await walk(join(ASSETS_DIR, artifact.assets));
  return hash.digest('hex');
}

async function ensureArtifact(artifact: Artifact, log: (line: string) => void): Promise<void> {
  const target = join(ARTIFACTS_DIR, artifact.path);
  const checksum = `${target}.sha512`;
  // Beside a tarball the lab built: the hash of the assets it was built from. A tarball without
  // one was put there by someone else (a real Apache release) and is served as it is.
  const stamp = `${target}.lab-build`;
  const wanted = await assetsHash(artifact);
  const built = await readFile(stamp, 'utf8').catch(() => undefined);
  const current = (await exists(target)) && (built === undefined || built === wanted);
  if (current && (await exists(checksum))) return;
  if (!current) {
    log(`building ${basename(target)} from Maven Central (once; cached in ${ARTIFACTS_DIR})`);
    await rm(checksum, { force: true });
    await build(artifact, target);
    await writeFile(stamp, wanted);
  }
  await writeFile(`${checksum}.tmp`, `${await sha512Of(target)}  ${basename(target)}\n`);
  await rename(`${checksum}.tmp`, checksum);
}

async function build(artifact: Artifact, target: string): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, `build-${artifact.assets}-`));
  try {
    const source = join(ASSETS_DIR, artifact.assets);
    const top = join(work, artifact.top);
    await mkdir(top);
    await cp(join(source, 'bin'), join(top, 'bin'), { recursive: true });
    await cp(join(source, artifact.configDir), join(top, artifact.configDir), { recursive: true });
    for (const script of await readdir(join(top, 'bin'))) await chmod(join(top, 'bin', script), 0o755);
    await run(
      'mvn',
      ['-q', '-B', '-f', join(source, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(top, artifact.libDir)}`],
      { timeoutMs: 15 * 60_000 },
    );
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    await run('tar', ['-C', work, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', tmp, artifact.top]);
    await rename(tmp, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
