// Which credentials an SSH connection offers, in OpenSSH's spirit: the key files the inventory or
// ~/.ssh/config names, then ssh-agent (SSH_AUTH_SOCK), then the default ~/.ssh/id_* keys when none
// was named, then a password only when the inventory gives one. Encrypted keys are opened with
// RUNBOOK_SSH_KEY_PASSPHRASE or a terminal prompt. No secret ends up in a message: failures list
// what was tried by kind and file name only.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type ParsedKey } from 'ssh2';
import type { SshEndpoint } from './ssh-endpoint.js';
import { canPrompt, KEY_PASSPHRASE_ENV, promptSecret } from './ssh-prompt.js';

type LoadedKey = { key: ParsedKey } | { problem: string | null };

// Keys are read (and their passphrase asked for) once per process, however many hosts use them.
const keys = new Map<string, Promise<LoadedKey>>();

export interface Auth {
  handler: AuthHandlerMiddleware;
  /** For the failure message: the methods offered and why some keys could not be used. */
  summary(): string;
  /** An error that ended authentication early (an interrupted prompt), if any. */
  fatal(): Error | undefined;
}

export function authFor(endpoint: SshEndpoint): Auth {
  const username = endpoint.user;
  const tried: string[] = [];
  const problems: string[] = [];
  let fatal: Error | undefined;

  const fromFile = (file: string, explicit: boolean) => async (): Promise<AnyAuthMethod | null> => {
    const loaded = await loadKey(file, explicit);
    if ('key' in loaded) {
      tried.push(`key ${file}`);
      return { type: 'publickey', username, key: loaded.key };
    }
    if (loaded.problem) problems.push(loaded.problem);
    return null;
  };
  const attempts: Array<() => Promise<AnyAuthMethod | null>> = endpoint.identityFiles.map((f) => fromFile(f, true));
  const agent = process.env.SSH_AUTH_SOCK;
  if (agent) {
    attempts.push(async () => {
      tried.push('ssh-agent');
      return { type: 'agent', username, agent };
    });
  }
  if (endpoint.identityFiles.length === 0) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) attempts.push(fromFile(join(homedir(), '.ssh', name), false));
  }
  const password = endpoint.password;
  if (password !== undefined) {
    attempts.push(async () => {
      tried.push('password');
      return { type: 'password', username, password };
    });
  }

  let next = 0;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, callback) => {
    const allowed = (m: AnyAuthMethod) => !methodsLeft || methodsLeft.includes(m.type === 'agent' ? 'publickey' : m.type);
    (async () => {
      while (next < attempts.length) {
        const method = await attempts[next++]();
        if (method && allowed(method)) return callback(method);
      }
      callback(false as unknown as AnyAuthMethod); // ssh2: false means "no more methods"
    })().catch((e: unknown) => {
      fatal = e instanceof Error ? e : new Error(String(e));
      callback(false as unknown as AnyAuthMethod);
    });
  };

  return {
    handler,
    summary: () =>
      `tried ${tried.length ? tried.join(', ') : 'nothing (no key file, no ssh-agent, no password)'}` +
      (problems.length ? `; ${problems.join('; ')}` : ''),
    fatal: () => fatal,
  };
}

function loadKey(file: string, explicit: boolean): Promise<LoadedKey> {
  let loading = keys.get(file);
  if (!loading) {
    loading = readKey(file, explicit);
    keys.set(file, loading);
  }
  return loading;
}

async function readKey(file: string, explicit: boolean): Promise<LoadedKey> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return { problem: null };
    return { problem: `cannot read key ${file} (${code ?? String(e)})` };
  }
  let parsed = parse(data);
  if (!(parsed instanceof Error)) return { key: parsed };
  if (!/passphrase/i.test(parsed.message)) return { problem: `cannot use key ${file}: ${parsed.message}` };

  const fromEnv = process.env[KEY_PASSPHRASE_ENV];
  if (fromEnv !== undefined) {
    parsed = parse(data, fromEnv);
    if (!(parsed instanceof Error)) return { key: parsed };
  }
  if (!canPrompt()) {
    return {
      problem:
        fromEnv === undefined
          ? `key ${file} is encrypted and no passphrase was given (set ${KEY_PASSPHRASE_ENV} or load it into ssh-agent)`
          : `the passphrase in ${KEY_PASSPHRASE_ENV} does not open key ${file}`,
    };
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    parsed = parse(data, await promptSecret(`Enter passphrase for key ${file}: `));
    if (!(parsed instanceof Error)) return { key: parsed };
  }
  return { problem: `wrong passphrase for key ${file}` };
}

function parse(data: Buffer, passphrase?: string): ParsedKey | Error {
  const parsed = ssh2.utils.parseKey(data, passphrase);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}
