// Pure parts of the SSH transport, no sshd: known_hosts matching and endpoint resolution from the
// inventory and an ssh config file.

import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUserError } from '../../src/errors.js';
import type { InventoryHost } from '../../src/model.js';
import { entriesFor, knownHostsName, preferredHostKeyAlgorithms, verdict } from '../../src/transport/known-hosts.js';
import { readSshConfig } from '../../src/transport/ssh-config.js';
import { endpointForHost } from '../../src/transport/ssh-endpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-resolve-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function blob(type: string, body = randomBytes(32)): Buffer {
  const name = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  return Buffer.concat([len, name, body]);
}

test('known_hosts: globs, negation, [host]:port, hashed names, markers', async () => {
  const ed = blob('ssh-ed25519');
  const other = blob('ssh-ed25519');
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('hashed.example').digest('base64')}`;
  const file = join(dir, 'known_hosts');
  writeFileSync(
    file,
    [
      '# comment',
      `*.example,!bad.example ssh-ed25519 ${ed.toString('base64')}`,
      `[10.0.0.1]:2222 ssh-ed25519 ${ed.toString('base64')}`,
      `${hashed} ssh-ed25519 ${ed.toString('base64')}`,
      `@cert-authority *.example ssh-ed25519 ${other.toString('base64')}`,
      `@revoked revoked.example ssh-ed25519 ${ed.toString('base64')}`,
      'garbage',
    ].join('\n'),
  );
  const status = async (name: string, key = ed) => verdict(await entriesFor([file, join(dir, 'missing')], name), key).status;
  assert.is(await status('web.example'), 'known');
  assert.is(await status('WEB.EXAMPLE'), 'known');
  assert.is(await status('bad.example'), 'unknown');
  assert.is(await status(knownHostsName('10.0.0.1', 2222)), 'known');
  assert.is(await status(knownHostsName('10.0.0.1', 22)), 'unknown');
  assert.is(await status('hashed.example'), 'known');
  assert.is(await status('web.example', other), 'changed');
  // Known by another type only: OpenSSH refuses it as changed, even with accept-new.
  assert.is(await status('web.example', blob('ssh-rsa')), 'changed');
  assert.is(await status('revoked.example'), 'revoked');
  const entry = (await entriesFor([file], 'web.example'))[0];
  assert.equal([entry.file, entry.line], [file, 2]);
});

test('known_hosts: a file changed since it was read is read again (another run may have recorded a key)', async () => {
  const file = join(dir, 'known_hosts_changing');
  const first = blob('ssh-ed25519');
  const second = blob('ssh-ed25519');
  writeFileSync(file, `a.example ssh-ed25519 ${first.toString('base64')}\n`);
  assert.is(verdict(await entriesFor([file], 'a.example'), first).status, 'known');
  assert.is(verdict(await entriesFor([file], 'b.example'), second).status, 'unknown');
  writeFileSync(file, `a.example ssh-ed25519 ${first.toString('base64')}\nb.example ssh-ed25519 ${second.toString('base64')}\n`);
  assert.is(verdict(await entriesFor([file], 'b.example'), second).status, 'known');
  writeFileSync(file, `a.example ssh-ed25519 ${second.toString('base64')}\n`);
  assert.is(verdict(await entriesFor([file], 'a.example'), first).status, 'changed');
});

test('host key algorithms: the types already known come first', () => {
  const rsa = { file: 'f', line: 1, type: 'ssh-rsa', key: blob('ssh-rsa') };
  assert.equal(preferredHostKeyAlgorithms([rsa]).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.is(preferredHostKeyAlgorithms([])[0], 'ssh-ed25519');
});

function host(extra: Partial<InventoryHost>): InventoryHost {
  return { name: 'web1', connection: 'ssh', address: 'web1', vars: {}, ...extra };
}

test('endpoints: inventory values win, ssh config fills gaps, jump chains resolve', async () => {
  const file = join(dir, 'ssh_config');
  writeFileSync(
    file,
    [
      'Host web1',
      '  HostName 10.1.0.5',
      '  User deploy',
      '  Port 2200',
      '  IdentityFile ~/.ssh/web_%r',
      '  ProxyJump ops@bastion:2022',
      'Host bastion',
      '  HostName 203.0.113.9',
      'Host chain',
      '  ProxyJump first,second',
      'Host loop',
      '  ProxyJump loop',
      '',
    ].join('\n'),
  );
  const config = await readSshConfig(file);
  const e = endpointForHost(host({}), { config });
  assert.is(e.address, '10.1.0.5');
  assert.is(e.port, 2200);
  assert.is(e.user, 'deploy');
  assert.match(e.identityFiles[0], /\/\.ssh\/web_deploy$/);
  assert.equal([e.via?.address, e.via?.port, e.via?.user], ['203.0.113.9', 2022, 'ops']);

  const overridden = endpointForHost(host({ user: 'admin', port: 22, key: '/k', jumpHost: 'jump1' }), {
    config,
    lookupHost: (n) => (n === 'jump1' ? host({ name: 'jump1', address: '192.0.2.1', user: 'j' }) : undefined),
  });
  assert.equal([overridden.user, overridden.port, overridden.identityFiles], ['admin', 22, ['/k']]);
  assert.equal([overridden.via?.label, overridden.via?.address, overridden.via?.user], ['jump1', '192.0.2.1', 'j']);

  const plain = endpointForHost(host({ address: '192.0.2.7' }), { config });
  assert.equal([plain.address, plain.port, plain.user, plain.via], ['192.0.2.7', 22, userInfo().username, undefined]);

  const chained = endpointForHost(host({ address: 'chain' }), { config });
  assert.equal([chained.via?.address, chained.via?.via?.address, chained.via?.via?.via], ['second', 'first', undefined]);

  try {
    endpointForHost(host({ address: 'loop' }), { config });
    assert.unreachable('a ProxyJump loop is refused');
  } catch (err) {
    assert.ok(isUserError(err));
    assert.match((err as Error).message, 'ProxyJump loop');
  }
});

test.run();
