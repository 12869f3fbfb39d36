// The Debian bookworm root filesystem every lab host starts from (the lower layer of its overlay).
// Built once with debootstrap and cached; built in a temp dir and renamed into place, so an
// interrupted build is never mistaken for a finished one.

import { access, chmod, mkdir, rm, rename, symlink, writeFile, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './command.js';
import { BASE_ROOTFS, CACHE_DIR } from './paths.js';
import { debianSources, type DebianMirror } from './debian-mirror.js';

const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'sudo', 'iproute2', 'procps', 'ca-certificates', 'curl'];

/** The dedicated non-root user with sudo that runbooks may log in as (same key as root). */
export const OPS_USER = 'ops';

/** Timers that would start apt or disk jobs at random moments in the middle of a test. */
const MASKED_UNITS = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer', 'dpkg-db-backup.timer'];

export async function baseExists(): Promise<boolean> {
  return access(join(BASE_ROOTFS, 'lib/systemd/systemd')).then(
    () => true,
    () => false,
  );
}

export async function ensureBase(mirror: DebianMirror, log: (line: string) => void): Promise<void> {
  if (await baseExists()) return;
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${BASE_ROOTFS}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  log(`building the base root filesystem with debootstrap from ${mirror.main} (once; cached in ${BASE_ROOTFS})`);
  await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, 'bookworm', tmp, mirror.main], {
    timeoutMs: 15 * 60_000,
  });
  await upgrade(tmp, mirror);
  await customize(tmp);
  try {
    await rename(tmp, BASE_ROOTFS);
  } catch (e) {
    // Another `lab up` finished building the base while this one was at it: use theirs.
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await baseExists())) throw e;
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * debootstrap takes bookworm as released; the hosts' apt also reads bookworm-updates and
 * -security. Upgrading here, once, is what a cloud image's freshness gives a new VM: without it
 * every host of every lab downloads and unpacks the same point-release updates (about 20 s of
 * each install-cluster).
 */
async function upgrade(root: string, mirror: DebianMirror): Promise<void> {
  await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(mirror));
  await rm(join(root, 'etc/apt/sources.list'), { force: true });
  // The controller's resolver for the build only; customize() leaves the hosts none.
  await writeFile(join(root, 'etc/resolv.conf'), await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  // No service may start inside the build (exit 101: "action forbidden by policy").
  const policy = join(root, 'usr/sbin/policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('chroot', [root, 'apt-get', 'update'], { env, timeoutMs: 5 * 60_000 });
  await run('chroot', [root, 'apt-get', '-y', '-o', 'Dpkg::Options::=--force-confold', 'upgrade'], { env, timeoutMs: 15 * 60_000 });
  await unlink(policy);
}

/** What every host shares: no host keys (each host gets its own), an `ops` sudoer, key-only sshd. */
async function customize(root: string): Promise<void> {
  for (const f of await readdir(join(root, 'etc/ssh'))) {
    if (f.startsWith('ssh_host_')) await unlink(join(root, 'etc/ssh', f));
  }
  await writeFile(join(root, 'etc/machine-id'), '');
  await run('chroot', [root, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'sudo', OPS_USER]);
  await writeFile(join(root, 'etc/sudoers.d', OPS_USER), `${OPS_USER} ALL=(ALL) NOPASSWD:ALL\n`);
  await chmod(join(root, 'etc/sudoers.d', OPS_USER), 0o440);
  await writeFile(
    join(root, 'etc/ssh/sshd_config.d/runbook-lab.conf'),
    [
      'HostKey /etc/ssh/ssh_host_ed25519_key',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UseDNS no',
      '',
    ].join('\n'),
  );
  // Lab hosts reach nothing but the controller, so no resolver; apt resolves through the proxy.
  await writeFile(join(root, 'etc/resolv.conf'), '');
  for (const unit of MASKED_UNITS) {
    const link = join(root, 'etc/systemd/system', unit);
    await rm(link, { force: true });
    await symlink('/dev/null', link);
  }
  await run('chroot', [root, 'apt-get', 'clean']);
}
