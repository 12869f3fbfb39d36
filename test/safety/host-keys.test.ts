// Safety (medium): --accept-new-host-keys records keys of hosts never seen, never a second key for
// a host already known by a key of another type (OpenSSH refuses that as a changed host).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openTransport } from '../../src/transport/connect.js';
import { caught } from '../helpers/caught.js';
import { inventoryHost, keygen, startSshd, type Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-safety-hostkeys-'));
  sshd = await startSshd();
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a host known by an ECDSA key that now offers another type is refused, even with accept-new, and nothing is recorded', async () => {
  keygen(join(dir, 'old_ecdsa'), 'ecdsa');
  const [type, key] = readFileSync(join(dir, 'old_ecdsa.pub'), 'utf8').split(' ');
  const path = join(dir, 'known_hosts');
  const content = `[127.0.0.1]:${sshd.port} ${type} ${key}\n`;
  writeFileSync(path, content);
  const e = await caught(
    (async () => {
      const { transport } = await openTransport(inventoryHost(sshd, 'web1'), { knownHostsFile: path, acceptNewHostKeys: true, connectTimeoutMs: 10_000 });
      try {
        await transport.connect();
      } finally {
        await transport.close();
      }
    })(),
  );
  assert.match(e.message, /REMOTE HOST IDENTIFICATION HAS CHANGED .*known by its ecdsa-sha2-nistp256 key/);
  assert.is(readFileSync(path, 'utf8'), content, 'a key of another type was recorded');
});

test.run();
