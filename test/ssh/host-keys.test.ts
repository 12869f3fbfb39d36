// Host key verification against known_hosts files, with a real sshd offering its key.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUserError, type UserError } from '../../src/errors.js';
import { openTransport, type ConnectOptions } from '../../src/transport/connect.js';
import { inventoryHost, keygen, startSshd, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/caught.js';

let sshd: Sshd;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-hostkeys-'));
  keygen(join(dir, 'host_rsa'), 'rsa');
  // Two host keys, so the test can show a host known by only one of them is still recognised.
  sshd = await startSshd({ config: [`HostKey ${join(dir, 'host_rsa')}`] });
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(options: ConnectOptions): Promise<void> {
  const { transport } = await openTransport(inventoryHost(sshd, 'web1'), { connectTimeoutMs: 10_000, ...options });
  try {
    await transport.connect();
    assert.is((await transport.exec('echo ok')).stdout.toString(), 'ok\n');
  } finally {
    await transport.close();
  }
}

async function refusal(options: ConnectOptions): Promise<UserError> {
  const e = await caught(connect(options));
  assert.ok(isUserError(e), `a UserError, got ${e.stack}`);
  assert.is((e as UserError).kind, 'host-key');
  assert.is((e as UserError).host, 'web1');
  return e as UserError;
}

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const name = () => `[127.0.0.1]:${sshd.port}`;

test('the recorded key is accepted', async () => {
  await connect({ knownHostsFile: sshd.knownHosts });
});

test('a changed key is refused, naming the file and line of the offending key', async () => {
  keygen(join(dir, 'impostor'));
  const impostor = readFileSync(join(dir, 'impostor.pub'), 'utf8').split(' ');
  const path = file('changed', ['# comment', 'otherhost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake', `${name()} ${impostor[0]} ${impostor[1]}`]);
  const connectionsBefore = sshd.connections();
  const e = await refusal({ knownHostsFile: path });
  assert.match(e.message, 'REMOTE HOST IDENTIFICATION HAS CHANGED for web1 (127.0.0.1:');
  assert.match(e.message, 'man-in-the-middle');
  assert.match(e.message, `offending key in ${path}:3`.replace('offending', 'Offending'));
  assert.match(e.hint ?? '', 'ssh-keygen');
  assert.is(sshd.connections() - connectionsBefore, 1, 'a refused host key is not retried');
});

test('an unknown host is refused, then recorded with acceptNewHostKeys, then known', async () => {
  const path = join(dir, 'sub', 'known_hosts_new');
  const e = await refusal({ knownHostsFile: path });
  assert.match(e.message, 'is not known');
  assert.match(e.hint ?? '', '--accept-new-host-keys');

  await connect({ knownHostsFile: path, acceptNewHostKeys: true });
  const recorded = readFileSync(path, 'utf8');
  assert.ok(recorded.startsWith(`${name()} ssh-ed25519 `), recorded);
  assert.is(recorded.split('\n').filter(Boolean).length, 1);
  await connect({ knownHostsFile: path });
  assert.is(readFileSync(path, 'utf8'), recorded, 'a known host is not recorded again');
});

test('hashed entries (ssh-keygen -H) are matched', async () => {
  const path = file('hashed', [sshd.knownHostsLine]);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', path], { stdio: 'ignore' });
  assert.ok(readFileSync(path, 'utf8').startsWith('|1|'));
  await connect({ knownHostsFile: path });
});

test('a host known only by its RSA key is reached with RSA, not refused', async () => {
  const rsa = readFileSync(join(dir, 'host_rsa.pub'), 'utf8').split(' ');
  await connect({ knownHostsFile: file('rsa-only', [`${name()} ${rsa[0]} ${rsa[1]}`]) });
});

test('a key marked @revoked is refused', async () => {
  const e = await refusal({ knownHostsFile: file('revoked', [`@revoked ${sshd.knownHostsLine}`, sshd.knownHostsLine]) });
  assert.match(e.message, 'revoked');
  assert.match(e.message, ':1');
});

test('an entry for the same address on another port does not count', async () => {
  const line = sshd.knownHostsLine.replace(`:${sshd.port}]`, ']').replace(/^\[127\.0\.0\.1\]/, '127.0.0.1');
  const e = await refusal({ knownHostsFile: file('port22', [line]) });
  assert.match(e.message, 'is not known');
});

test.run();
