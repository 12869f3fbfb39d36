// Finding the connection agent (agent.ts), or starting it: its socket lives in ~/.runbook/cp (as
// Ansible's ControlPath lives in ~/.ansible/cp), a directory that must be the user's own and
// closed to everyone else, or nothing is persisted. The socket's name is a hash of what the agent
// inherits from the run that starts it and cannot change afterwards (the build, ssh-agent's
// socket, the key passphrase), so a run only ever reaches an agent that authenticates as it would.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { lstat, mkdir, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { AGENT_PROTOCOL } from './agent-frames.js';
import { KEY_PASSPHRASE_ENV } from './ssh-prompt.js';

/** How long a started agent may take to listen before the run gives up on it. */
const START_DEADLINE_MS = 20_000;

/** The `runbook` entry the agent is started from: the built CLI, or its source under tsx. */
function cliEntry(): { path: string; args: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { path: fileURLToPath(new URL('../cli/main.ts', here)), args: ['--import', import.meta.resolve('tsx')] };
  return { path: fileURLToPath(new URL('../cli/main.js', here)), args: [] };
}

/** ~/.runbook/cp, made if missing, refused unless it and its parent are the user's and closed. */
export async function agentDir(): Promise<string> {
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

export function socketName(): string {
  const entry = cliEntry().path;
  const build = statSync(entry, { throwIfNoEntry: false });
  const inherited = [AGENT_PROTOCOL, entry, build?.mtimeMs ?? 0, process.env.SSH_AUTH_SOCK ?? '', process.env[KEY_PASSPHRASE_ENV] ?? ''];
  return `${createHash('sha256').update(JSON.stringify(inherited)).digest('hex').slice(0, 20)}.sock`;
}

const starting = new Map<string, Promise<void>>();

/** A connected socket to the agent, started first when none answers. */
export async function dialAgent(idleSeconds: number): Promise<Socket> {
  const dir = await agentDir();
  const path = join(dir, socketName());
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
