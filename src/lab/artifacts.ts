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
  /** Directories under src/lab/assets with pom.xml, bin/ and the config dir; later ones overlay earlier ones. */
  assets: string[];
  /** The release: passed to the pom as -Dversion.release. */
  version: string;
  /** Maven profiles to turn on or (`!id`) off. */
  profiles?: string;
  /** Path under the mirror's root, as under https://archive.apache.org/dist/. */
  path: string;
  /** The tarball's single top-level directory. */
  top: string;
  /** Where the jars go inside it. */
  libDir: string;
  configDir: string;
  /** Files of the assets this release does not ship (paths inside the tarball's top directory). */
  omit?: string[];
}

/** ZooKeeper 3.8 logs through logback (conf/logback.xml) instead of log4j 1.2. */
function zookeeper(version: string): Artifact {
  const [major, minor] = version.split('.').map(Number);
  const logback = major > 3 || (major === 3 && minor >= 8);
  return {
    assets: logback ? ['zookeeper', 'zookeeper-3.8'] : ['zookeeper'],
    version,
    ...(logback ? { profiles: '!log4j' } : {}),
    path: `zookeeper/zookeeper-${version}/apache-zookeeper-${version}-bin.tar.gz`,
    top: `apache-zookeeper-${version}-bin`,
    libDir: 'lib',
    configDir: 'conf',
  };
}

/** Kafka 3.6 to 3.9, then 4.0, moved command-line tools from core to kafka-tools: their scripts name the new classes. */
function kafka(version: string): Artifact {
  const [major, minor] = version.split('.').map(Number);
  const assets = ['kafka'];
  if (major > 3 || (major === 3 && minor >= 9)) assets.push('kafka-3.9');
  if (major >= 4) assets.push('kafka-4');
  return {
    assets,
    // Kafka 4 has no ZooKeeper: its tarball has neither the scripts nor the config.
    ...(major >= 4 ? { omit: ['bin/zookeeper-server-start.sh', 'bin/zookeeper-server-stop.sh', 'bin/zookeeper-shell.sh', 'config/zookeeper.properties'] } : {}),
    version,
    path: `kafka/${version}/kafka_2.13-${version}.tgz`,
    top: `kafka_2.13-${version}`,
    libDir: 'libs',
    configDir: 'config',
  };
}

/**
 * What the mirror serves: the manuals' releases (ZooKeeper 3.7.1, Kafka 3.5.1), the upgrade paths
 * the day-two runbooks are proven on (Kafka 3.5.2, which fixes KAFKA-15353's empty ISR during a
 * rolling upgrade, and 3.9.2, the last line with ZooKeeper; ZooKeeper 3.8.4, the supported line
 * since 3.7 reached its end of life), and Kafka 4.1.1 for KRaft clusters (no ZooKeeper; Java 17).
 */
export const ARTIFACTS: Artifact[] = [zookeeper('3.7.1'), kafka('3.5.1'), kafka('3.5.2'), kafka('3.9.2'), zookeeper('3.8.4'), kafka('4.1.1')];

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

/** A hash of the artifact's assets (pom, scripts, configs) and version: a built tarball older than them is rebuilt. */
async function assetsHash(artifact: Artifact): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${artifact.version}\0${artifact.profiles ?? ''}\0${(artifact.omit ?? []).join('\0')}\0`);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else hash.update(`${path.slice(ASSETS_DIR.length)}\0${await readFile(path, 'utf8')}\0`);
    }
  };
  for (const assets of artifact.assets) await walk(join(ASSETS_DIR, assets));
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
  const work = await mkdtemp(join(CACHE_DIR, `build-${artifact.top}-`));
  try {
    const top = join(work, artifact.top);
    await mkdir(top);
    for (const assets of artifact.assets) {
      const source = join(ASSETS_DIR, assets);
      for (const dir of ['bin', artifact.configDir]) {
        if (await exists(join(source, dir))) await cp(join(source, dir), join(top, dir), { recursive: true });
      }
    }
    for (const path of artifact.omit ?? []) await rm(join(top, path));
    for (const script of await readdir(join(top, 'bin'))) await chmod(join(top, 'bin', script), 0o755);
    const pom = join(ASSETS_DIR, artifact.assets[0], 'pom.xml');
    await run(
      'mvn',
      ['-q', '-B', '-f', pom, `-Dversion.release=${artifact.version}`, ...(artifact.profiles ? ['-P', artifact.profiles] : []), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(top, artifact.libDir)}`],
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
