// Finding the connection agent (agent.ts), or starting it: its socket lives in ~/.runbook/cp (as
// Ansible's ControlPath lives in ~/.ansible/cp), a directory that must be the user's own and
// closed to everyone else, or nothing is persisted. The socket's name is a salted hash of what the
// agent inherits from the run that starts it and cannot change afterwards (the build, ssh-agent's
// socket, the key passphrase, the idle time), so a run only ever reaches an agent that
// authenticates as it would and keeps connections as long as it asked. The salt (a random file in
// the directory) keeps the name, which error messages print, from being a test of a guessed
// passphrase.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { link, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { AGENT_PROTOCOL } from './agent-frames.js';
import { KEY_PASSPHRASE_ENV } from './ssh-prompt.js';

/** How long a started agent may take to listen before the run gives up on it. */
const START_DEADLINE_MS = 20_000;

/** A log left by an agent that is gone is removed once this old (each build names its own). */
const STALE_LOG_MS = 7 * 86_400_000;

/** The `runbook` entry the agent is started from: the built CLI, or its source under tsx. */
function cliEntry(): { path: string; args: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { path: fileURLToPath(new URL('../cli/main.ts', here)), args: ['--import', import.meta.resolve('tsx')] };
  return { path: fileURLToPath(new URL('../cli/main.js', here)), args: [] };
}

/** ~/.runbook/cp, made if missing, refused unless it and its parent are the user's and closed. */
async function agentDir(): Promise<string> {
  const parent = join(homedir(), '.runbook');
  const dir = join(parent, 'cp');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  for (const path of [parent, dir]) {
    const s = await lstat(path);
    const problem = !s.isDirectory()
      ? 'is not a directory (a link?)'
      : uid !== undefined && s.uid !== uid
        ? `is owned by uid ${s.uid}, not by this user (${uid})`
        : (s.mode & 0o077) !== 0
          ? `is open to other users (mode ${(s.mode & 0o777).toString(8)})`
          : undefined;
    if (problem) {
      throw new UserError('config', `${path} ${problem}: the connection agent's socket would be a shell on every host for whoever can reach it`, {
        hint: `make it a directory of your own with mode 700 (chmod 700 ${path}), or unset RUNBOOK_CONTROL_PERSIST`,
      });
    }
  }
  return dir;
}

/**
 * The directory's salt, made by the first run that needs it: written under a name of its own,
 * then linked into place, so two runs starting at once read the same complete salt.
 */
async function salt(dir: string): Promise<Buffer> {
  const path = join(dir, 'salt');
  const existing = await readSalt(path);
  if (existing) return existing;
  const temporary = `${path}.${process.pid}`;
  await rm(temporary, { force: true });
  await writeFile(temporary, randomBytes(32), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  } finally {
    await rm(temporary, { force: true });
  }
  const made = await readSalt(path);
  if (!made) throw new UserError('config', `${path} is not the 32-byte file runbook writes`, { hint: `remove it (runbook writes a new one)` });
  return made;
}

async function readSalt(path: string): Promise<Buffer | undefined> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return undefined;
  const content = s.isFile() ? await readFile(path) : undefined;
  if (content?.length !== 32) throw new UserError('config', `${path} is not the 32-byte file runbook writes`, { hint: `remove it (runbook writes a new one)` });
  return content;
}

async function socketPath(dir: string, idleSeconds: number): Promise<string> {
  const entry = cliEntry().path;
  const build = statSync(entry, { throwIfNoEntry: false });
  const inherited = [AGENT_PROTOCOL, entry, build?.mtimeMs ?? 0, process.env.SSH_AUTH_SOCK ?? '', process.env[KEY_PASSPHRASE_ENV] ?? '', idleSeconds];
  const name = createHash('sha256').update(await salt(dir)).update(JSON.stringify(inherited)).digest('hex').slice(0, 20);
  return join(dir, `${name}.sock`);
}

/**
 * The agent's socket path for this run, worked out once per process and home (each host's
 * transport dials it; a failure is not kept, so a fixed directory is checked again).
 */
const located = new Map<string, Promise<{ dir: string; path: string }>>();
function locate(idleSeconds: number): Promise<{ dir: string; path: string }> {
  const key = JSON.stringify([homedir(), idleSeconds]);
  let found = located.get(key);
  if (!found) {
    found = agentDir().then(async (dir) => ({ dir, path: await socketPath(dir, idleSeconds) }));
    located.set(key, found);
    found.catch(() => located.delete(key));
  }
  return found;
}

const starting = new Map<string, Promise<void>>();

/** A connected socket to the agent, started first when none answers. */
export async function dialAgent(idleSeconds: number): Promise<Socket> {
  const { dir, path } = await locate(idleSeconds);
  const first = await tryDial(path);
  if (first) return first;
  let start = starting.get(path);
  if (!start) {
    start = startAgent(dir, path, idleSeconds).finally(() => starting.delete(path));
    starting.set(path, start);
  }
  await start;
  const socket = await tryDial(path);
  if (!socket) throw new UserError('config', `the connection agent started but ${path} does not answer`, { hint: `see ${path}.log, or unset RUNBOOK_CONTROL_PERSIST` });
  return socket;
}

function tryDial(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    // ENOENT: no agent yet; ECONNREFUSED: a dead agent's socket, which the new one replaces.
    socket.once('error', () => resolve(undefined));
  });
}

async function startAgent(dir: string, path: string, idleSeconds: number): Promise<void> {
  const { path: entry, args } = cliEntry();
  await removeStaleLogs(dir);
  const logFile = `${path}.log`;
  const log = openSync(logFile, 'a', 0o600);
  // Only what authenticating needs: the agent outlives the run, and the rest of the run's
  // environment (a become or vault password) has no business staying in memory with it.
  const env = Object.fromEntries(['HOME', 'PATH', 'SSH_AUTH_SOCK', KEY_PASSPHRASE_ENV].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
  const child = spawn(process.execPath, [...args, entry, 'agent', '--socket', path, '--idle', String(idleSeconds)], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening after ${START_DEADLINE_MS / 1000} s`)), START_DEADLINE_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`it exited with ${code}`));
      });
    });
  } catch (e) {
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
    throw new UserError('config', `could not start the connection agent: ${(e as Error).message}${tail ? `\n${tail}` : ''}`, {
      hint: `see ${logFile}, or unset RUNBOOK_CONTROL_PERSIST`,
    });
  } finally {
    child.stdout!.destroy();
    child.unref();
  }
}

/** Logs of agents whose socket is gone, untouched for a week (earlier builds' agents). */
async function removeStaleLogs(dir: string): Promise<void> {
  const names = await readdir(dir);
  const now = Date.now();
  for (const name of names.filter((n) => n.endsWith('.sock.log') && !names.includes(n.slice(0, -'.log'.length)))) {
    const s = await lstat(join(dir, name)).catch(() => undefined);
    if (s?.isFile() && now - s.mtimeMs > STALE_LOG_MS) await rm(join(dir, name), { force: true });
  }
}
