// Authentication against a real sshd: ssh-agent, encrypted keys, and failures that say what was
// tried without revealing a secret.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUnreachable } from '../../src/errors.js';
import type { InventoryHost } from '../../src/model.js';
import { openTransport } from '../../src/transport/connect.js';
import { inventoryHost, keygen, startSshd, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/caught.js';

const PASSPHRASE = 'correct horse battery staple';
let sshd: Sshd;
let dir: string;
let agent: ChildProcess | undefined;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-auth-'));
  keygen(join(dir, 'encrypted'), 'ed25519', PASSPHRASE);
  sshd = await startSshd({ authorizedKey: join(dir, 'encrypted.pub') });
});

test.after(async () => {
  agent?.kill();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function echo(host: InventoryHost): Promise<string> {
  const { transport } = await openTransport(host, { knownHostsFile: sshd.knownHosts });
  try {
    return (await transport.exec('echo ok')).stdout.toString();
  } finally {
    await transport.close();
  }
}

/** Run with these environment variables set, restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

test('an encrypted key opens with RUNBOOK_SSH_KEY_PASSPHRASE', async () => {
  copyFileSync(join(dir, 'encrypted'), join(dir, 'copy1'));
  const out = await withEnv({ RUNBOOK_SSH_KEY_PASSPHRASE: PASSPHRASE, SSH_AUTH_SOCK: undefined }, () =>
    echo(inventoryHost(sshd, 'web1', { key: join(dir, 'copy1') })),
  );
  assert.is(out, 'ok\n');
});

test('a wrong passphrase fails as unreachable, saying what was tried, without the secret', async () => {
  copyFileSync(join(dir, 'encrypted'), join(dir, 'copy2'));
  const e = await withEnv({ RUNBOOK_SSH_KEY_PASSPHRASE: 'not it', SSH_AUTH_SOCK: undefined }, () =>
    caught(echo(inventoryHost(sshd, 'web1', { key: join(dir, 'copy2'), password: 'hunter2-secret' }))),
  );
  assert.ok(isUnreachable(e), String(e));
  assert.match(e.message, `authentication as ${sshd.user} to web1 (127.0.0.1:${sshd.port}) failed`);
  assert.match(e.message, `RUNBOOK_SSH_KEY_PASSPHRASE does not open key ${join(dir, 'copy2')}`);
  assert.match(e.message, 'password');
  assert.not.match(e.message, 'not it');
  assert.not.match(e.message, 'hunter2-secret');
  assert.not.match(JSON.stringify(e), 'hunter2-secret');
});

test('ssh-agent (SSH_AUTH_SOCK) authenticates when no key file is given', async () => {
  const sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    } catch (e) {
      if ((e as { status?: number }).status === 1) break; // agent up, no identities yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The agent holds the key decrypted; a copy without passphrase is simplest to add.
  copyFileSync(join(dir, 'encrypted'), join(dir, 'plain'));
  execFileSync('ssh-keygen', ['-q', '-p', '-P', PASSPHRASE, '-N', '', '-f', join(dir, 'plain')], { stdio: 'ignore' });
  execFileSync('ssh-add', ['-q', join(dir, 'plain')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  rmSync(join(dir, 'plain'));
  const out = await withEnv({ SSH_AUTH_SOCK: sock, RUNBOOK_SSH_KEY_PASSPHRASE: undefined }, () => echo(inventoryHost(sshd, 'web1', { key: undefined })));
  assert.is(out, 'ok\n');
  assert.match(sshd.log(), 'Accepted publickey');
});

test.run();
