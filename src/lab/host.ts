// One lab host: an overlay over the base rootfs, its own files (hostname, host key, authorized
// key, apt proxy), booted with assets/host-boot.sh, and torn down again.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, rmdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, tryRun, LabCommandError } from './command.js';
import { ASSETS_DIR, BASE_ROOTFS } from './paths.js';
import { childOf, startDaemon, stop, isAlive } from './process.js';
import { OPS_USER } from './base.js';
import { portOpen } from './services.js';
import type { LabHostState } from './state.js';
import { debianSources, type DebianMirror } from './debian-mirror.js';

/**
 * Every host's systemd, journald, logind and dbus each hold inotify instances, all counted
 * against root's limit, which is 128 on a stock kernel: the 20th host or so then hangs in
 * 'initializing'. Raise the limits (never lower them) before booting hosts.
 */
const INOTIFY_LIMITS: Record<string, number> = {
  '/proc/sys/fs/inotify/max_user_instances': 8192,
  '/proc/sys/fs/inotify/max_user_watches': 524288,
};

export async function raiseInotifyLimits(log: (line: string) => void): Promise<void> {
  for (const [path, wanted] of Object.entries(INOTIFY_LIMITS)) {
    const current = Number((await readFile(path, 'utf8')).trim());
    if (current >= wanted) continue;
    await writeFile(path, `${wanted}\n`);
    log(`raised ${path.slice('/proc/sys/'.length).replaceAll('/', '.')} from ${current} to ${wanted} (lab hosts' systemd needs it)`);
  }
}

export function hostRoot(host: LabHostState): string {
  return join(host.dir, 'root');
}

export async function mountHostRoot(host: LabHostState): Promise<void> {
  const root = hostRoot(host);
  await mkdir(join(host.dir, 'upper'), { recursive: true });
  await mkdir(join(host.dir, 'work'), { recursive: true });
  await mkdir(root, { recursive: true });
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${BASE_ROOTFS},upperdir=${host.dir}/upper,workdir=${host.dir}/work`, root]);
}

export interface HostFiles {
  authorizedKey: string;
  aptProxyUrl: string;
  debianMirror: DebianMirror;
}

/** Write the host's own files into its overlay; returns its public host key line. */
export async function personalize(host: LabHostState, files: HostFiles): Promise<string> {
  const root = hostRoot(host);
  await writeFile(join(root, 'etc/hostname'), `${host.name}\n`);
  await writeFile(join(root, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${host.name}\n`);
  await writeFile(join(root, 'etc/machine-id'), randomBytes(16).toString('hex') + '\n');
  const hostKey = join(root, 'etc/ssh/ssh_host_ed25519_key');
  await rm(hostKey, { force: true });
  await rm(`${hostKey}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host.name}`, '-f', hostKey]);
  for (const [home, owner] of [['root', 'root'], [`home/${OPS_USER}`, OPS_USER]] as const) {
    const sshDir = join(root, home, '.ssh');
    await mkdir(sshDir, { recursive: true });
    await writeFile(join(sshDir, 'authorized_keys'), files.authorizedKey);
    await chmod(sshDir, 0o700);
    await run('chroot', [root, 'chown', '-R', `${owner}:${owner}`, `/${home}/.ssh`]);
  }
  await writeFile(join(root, 'etc/apt/apt.conf.d/01runbook-lab-proxy'), `Acquire::http::Proxy "${files.aptProxyUrl}";\n`);
  // dpkg syncs every file it unpacks; a lab host is thrown away, never power-cut. Java, the
  // longest step of every lab install, goes on three hosts at once in 13.1-13.6 s instead of
  // 14.0-14.8 s (bench/RESULTS.md). Docker's Debian images ship the same setting (docker-apt-speedup).
  await writeFile(join(root, 'etc/dpkg/dpkg.cfg.d/01runbook-lab-unsafe-io'), 'force-unsafe-io\n');
  await rm(join(root, 'etc/apt/sources.list'), { force: true });
  await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(files.debianMirror));
  // The package index came with the base, built some time ago. Dated as old whatever its age, so
  // every new host's first play updates it: on a base 59 minutes old that play would skip the
  // update (cache_valid_time: 3600) and a no-op play two minutes later would run it.
  for (const path of ['var/lib/apt/lists', 'var/lib/apt/periodic/update-success-stamp']) {
    await utimes(join(root, path), 0, 0).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  return (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
}

export async function boot(host: LabHostState): Promise<void> {
  host.launcher = await startDaemon(
    'sh',
    [join(ASSETS_DIR, 'host-boot.sh'), hostRoot(host), host.cgroupLeaf, host.netns],
    join(host.dir, 'console.log'),
  );
  host.init = await childOf(host.launcher, 'unshare', 10_000);
}

/** argv prefix that runs a command inside a booted host, as its root, without SSH. */
export function enterArgs(host: LabHostState): string[] {
  return ['-t', String(host.init!.pid), '-m', '-u', '-i', '-p', '-C', '-n', '-r', '-w'];
}

/** systemd's view of the boot: running, degraded, starting... ('down' when not booted). */
export async function systemState(host: LabHostState): Promise<string> {
  if (!host.init || !(await isAlive(host.init))) return 'down';
  try {
    return (await run('nsenter', [...enterArgs(host), 'systemctl', 'is-system-running'], { timeoutMs: 30_000 })).trim();
  } catch (e) {
    // is-system-running exits non-zero for every state but `running`, still printing the state;
    // it prints nothing while systemd has not yet opened its bus socket.
    if (e instanceof LabCommandError) return e.stdout.trim() || 'offline';
    throw e;
  }
}

/** Wait until systemd finished booting and sshd accepts connections. */
export async function waitReady(host: LabHostState, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = await systemState(host);
  // 'offline' until systemd's own bus socket is up, 'initializing'/'starting' while it boots.
  while (state !== 'running' && state !== 'degraded') {
    if (['maintenance', 'stopping', 'down'].includes(state) || Date.now() > deadline) {
      throw new Error(`${host.name} booted to '${state}' (see ${join(host.dir, 'console.log')})`);
    }
    await sleep(200);
    state = await systemState(host);
  }
  while (!(await portOpen(host.address, 22))) {
    if (Date.now() > deadline) throw new Error(`${host.name}: sshd not listening on ${host.address}:22`);
    await sleep(100);
  }
  return state;
}

/** Power the host off (SIGRTMIN+3 is systemd's "halt" for containers), then make sure. */
export async function shutdown(host: LabHostState): Promise<void> {
  const SIGRTMIN_PLUS_3 = 37;
  await stop(host.init, SIGRTMIN_PLUS_3, 10_000);
  await stop(host.launcher, 'SIGKILL', 0);
}

/** Unmount everything under the host's dir (deepest first) and remove its cgroups and files. */
export async function destroyHostFiles(host: LabHostState): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => !!m && (m === host.dir || m.startsWith(host.dir + '/')))
    .map((m) => m.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    if (!(await tryRun('umount', [m]))) await run('umount', ['-l', m]);
  }
  await removeCgroups(host.cgroupLeaf);
  await rm(host.dir, { recursive: true, force: true });
}

/** The host's cgroup dirs in every hierarchy, children before parents (rmdir needs them empty). */
async function removeCgroups(leaf: string): Promise<void> {
  const found = await run('find', ['/sys/fs/cgroup', '-depth', '-type', 'd', '-path', `*/${leaf}*`]).catch((e: unknown) => {
    // find exits non-zero when a cgroup vanishes while it walks; what it printed is still right.
    if (e instanceof LabCommandError) return e.stdout;
    throw e;
  });
  for (const dir of found.split('\n').filter((d) => d.includes(`/${leaf}`))) {
    await rmdir(dir).catch(() => undefined);
  }
}
