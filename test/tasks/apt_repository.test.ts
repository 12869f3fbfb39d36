import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aptRepository, { dearmor, primaryFingerprints, repositoryArgs, sourcesContent } from '../../tasks/apt_repository.js';
import { check } from '../helpers/task-harness.js';

const home = mkdtempSync(join(tmpdir(), 'rb-gpg-'));
const gpg = (...args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args]);
gpg('--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'Test RSA <rsa@example.org>', 'rsa2048', 'sign', 'never');
gpg('--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'Test Ed <ed@example.org>', 'ed25519', 'sign', 'never');

function gpgFingerprints(uid: string): string[] {
  const colons = gpg('--with-colons', '--list-keys', uid).toString();
  // The first fpr line after each pub line is the primary key's.
  const out: string[] = [];
  let wantNext = false;
  for (const line of colons.split('\n')) {
    if (line.startsWith('pub:')) wantNext = true;
    else if (line.startsWith('fpr:') && wantNext) { out.push(line.split(':')[9]); wantNext = false; }
  }
  return out;
}

test('fingerprints and dearmoring agree with gpg (rsa and ed25519, armored and binary)', () => {
  for (const uid of ['rsa@example.org', 'ed@example.org']) {
    const armored = gpg('--armor', '--export', uid);
    const binary = gpg('--export', uid);
    assert.equal(dearmor(armored), binary, 'dearmor gives gpg --export bytes');
    assert.equal(dearmor(binary), binary, 'binary stays binary');
    assert.equal(primaryFingerprints(binary), gpgFingerprints(uid));
  }
  const both = gpg('--armor', '--export', 'rsa@example.org', 'ed@example.org');
  assert.is(primaryFingerprints(dearmor(both)).length, 2);
});

test('the deb822 file names the keyring; one-line values only', () => {
  const args = repositoryArgs.parse({ name: 'corretto', uris: 'https://apt.corretto.aws', suites: 'stable', components: ['main'], key_url: 'https://apt.corretto.aws/corretto.key', key_fingerprint: '6DC3 636D AE53 4049 C8B9  4623 A122 542A B04F 24E3' });
  assert.is(sourcesContent(args), 'Types: deb\nURIs: https://apt.corretto.aws\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/corretto.gpg\n');
  assert.is(args.key_fingerprint, '6DC3636DAE534049C8B94623A122542AB04F24E3');
  assert.not.ok(repositoryArgs.safeParse({ name: '../x', uris: 'a', suites: 'b' }).success);
  assert.not.ok(repositoryArgs.safeParse({ name: 'x', uris: 'https://a\nSigned-By: /evil', suites: 'b' }).success);
});

function serve(body: Buffer): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.end(body));
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({ server, url: `http://127.0.0.1:${port}/key.asc` });
    });
  });
}

// check only probes and fetches (into a temp file it removes): read-only, so it runs here.
test('check fetches the key on the host and refuses a wrong fingerprint before writing anything', async () => {
  const armored = gpg('--armor', '--export', 'ed@example.org');
  const { server, url } = await serve(armored);
  try {
    const name = 'runbook-test-never-written';
    const right = gpgFingerprints('ed@example.org')[0];
    const r = (await check(aptRepository, { name, uris: 'http://127.0.0.1/debian', suites: 'stable', components: 'main', key_url: url, key_fingerprint: right })) as Awaited<ReturnType<typeof aptRepository.check>>;
    assert.is(r.inSync, false);
    assert.is(r.observed!.plans.length, 2);
    assert.equal(Buffer.from(r.observed!.plans[1].content!, 'base64'), dearmor(armored));
    assert.match(r.summary!, /create \/etc\/apt\/sources.list.d\/runbook-test-never-written.sources/);
    const wrong = 'AAAA' + right.slice(4);
    await check(aptRepository, { name, uris: 'http://127.0.0.1/debian', suites: 'stable', key_url: url, key_fingerprint: wrong }).then(
      () => assert.unreachable('a wrong fingerprint must fail'),
      (e: Error) => assert.match(e.message, new RegExp(`has fingerprint ${right}, not ${wrong}`)),
    );
  } finally {
    server.close();
  }
});

test.after(() => {
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']);
  rmSync(home, { recursive: true, force: true });
});
test.run();
