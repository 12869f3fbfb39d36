// A real OpenSSH server for tests: `/usr/sbin/sshd -D -e` on 127.0.0.1 at a free port, with its own
// host key, an authorized user key and a known_hosts file naming it, all in a temp dir. Each
// suite starts its own, so suites can run in parallel. Needs root (sshd) and openssh-server.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { InventoryHost } from '../../src/model.js';

export interface SshdOptions {
  /** sshd's MaxSessions (channels per connection). */
  maxSessions?: number;
  /** More sshd_config lines; they win over the defaults. */
  config?: string[];
  /** Authorize this public key file instead of generating a user key. */
  authorizedKey?: string;
}

export interface Sshd {
  port: number;
  address: '127.0.0.1';
  user: string;
  dir: string;
  /** Private key that is authorized for `user`. */
  userKey: string;
  /** A known_hosts file with this server's host key under `[127.0.0.1]:port`. */
  knownHosts: string;
  /** The known_hosts line for this server (`[127.0.0.1]:port ssh-ed25519 AAAA...`). */
  knownHostsLine: string;
  /** Everything sshd logged so far (LogLevel VERBOSE). */
  log(): string;
  /** TCP connections sshd accepted so far. */
  connections(): number;
  /** SIGKILL sshd and every process it forked (sessions included), as a crashed host would. */
  kill(): Promise<void>;
  /** Kill it, then start it again on the same port with the same keys. */
  restart(): Promise<void>;
  /** Stop it and remove its files. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function keygen(path: string, type = 'ed25519', passphrase = ''): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'runbook-test', '-f', path], { stdio: 'ignore' });
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-sshd-'));
  // sshd's privilege separation directory; the package creates it only when its service starts.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  keygen(hostKey);
  let userKey = join(dir, 'user_ed25519');
  if (options.authorizedKey) userKey = options.authorizedKey.replace(/\.pub$/, '');
  else keygen(userKey);
  // sshd reads authorized_keys as the login user, who may not be root (the bench logs in as another user).
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`), { mode: 0o644 });

  const port = await freePort();
  // sshd keeps the first value it reads for a keyword, so the caller's lines come first.
  const config = [
    ...(options.config ?? []),
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin yes',
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `MaxSessions ${options.maxSessions ?? 10}`,
    'MaxStartups 100',
    'LogLevel VERBOSE',
    // The user is root, whose ~/.bashrc on a developer or CI machine may be slow (pyenv init: half
    // a second per session channel, measured here): bash sources it for a command sshd starts
    // unless it is a nested shell, which SHLVL=1 makes it. The suites test runbook, not root's rc files.
    'SetEnv SHLVL=1',
  ];
  const configFile = join(dir, 'sshd_config');
  writeFileSync(configFile, config.join('\n') + '\n');

  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const knownHostsLine = `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLine + '\n');

  let log = '';
  let child: ChildProcess;
  const launch = async () => {
    const started = log.length;
    child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await waitFor(() => log.includes('Server listening on', started), child, () => log);
  };
  await launch();

  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pids = [child.pid!, ...descendants(child.pid!)];
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  };
  return {
    port,
    address: '127.0.0.1',
    user: userInfo().username,
    dir,
    userKey,
    knownHosts,
    knownHostsLine,
    log: () => log,
    connections: () => log.split('\n').filter((l) => l.includes('Connection from')).length,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(ready: () => boolean, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ready()) return;
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not start listening:\n${log()}`);
}

/** Every process below `pid` (sshd's per-connection children call setsid, so a group kill misses them). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const statFile = join('/proc', name, 'stat');
    if (!existsSync(statFile)) continue;
    let stat: string;
    try {
      stat = readFileSync(statFile, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

/** An inventory file's text with one host, web1, reached through this sshd; `more` adds host vars. */
export function inventoryYaml(sshd: Sshd, knownHosts: string, more: Record<string, string> = {}): string {
  const vars = { ansible_host: sshd.address, ansible_port: String(sshd.port), ansible_user: sshd.user, ansible_ssh_private_key_file: sshd.userKey, runbook_host_dir: join(sshd.dir, 'runbook'), ...more };
  return `all:\n  vars:\n    known_hosts_file: ${knownHosts}\n  hosts:\n    web1:\n${Object.entries(vars).map(([k, v]) => `      ${k}: ${v}\n`).join('')}`;
}

/**
 * An inventory file's text with `hosts` all reached through this sshd, each with its own run lock
 * and history; with `oneMachine`, sharing one (what they are: one machine with several members).
 */
export function hostsInventoryYaml(sshd: Sshd, hosts: string[], options: { oneMachine?: boolean } = {}): string {
  const hostDir = (h: string) => join(sshd.dir, options.oneMachine ? 'runbook' : `runbook-${h}`);
  return `all:
  vars:
    known_hosts_file: ${sshd.knownHosts}
    ansible_host: ${sshd.address}
    ansible_port: ${sshd.port}
    ansible_user: ${sshd.user}
    ansible_ssh_private_key_file: ${sshd.userKey}
  hosts:
${hosts.map((h) => `    ${h}: { runbook_host_dir: ${hostDir(h)} }`).join('\n')}
`;
}

/**
 * An inventory host that reaches this sshd with its user key. Its run lock and history go in the
 * server's own directory: every sshd of the tests is this machine, and suites run in parallel.
 */
export function inventoryHost(sshd: Sshd, name = 'target', extra: Partial<InventoryHost> = {}): InventoryHost {
  return { name, connection: 'ssh', address: sshd.address, port: sshd.port, user: sshd.user, key: sshd.userKey, vars: { runbook_host_dir: join(sshd.dir, 'runbook') }, ...extra };
}
