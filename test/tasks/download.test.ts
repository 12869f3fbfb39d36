import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import download from '../../tasks/download.js';
import { parseChecksumFile, parseChecksumSpec } from '../../src/sdk/checksum.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

const NAME = 'kafka_2.13-3.5.1.tgz';
const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
const sha256 = createHash('sha256').update(body).digest('hex');
const sha512 = createHash('sha512').update(body).digest('hex');
/** Apache's gpg --print-md layout: name, colon, upper-case hex in groups of 8, wrapped. */
const groups = sha512.toUpperCase().match(/.{8}/g)!;
const gpgStyle = `${NAME}: ${groups.slice(0, 6).join(' ')}\n${' '.repeat(NAME.length + 2)}${groups.slice(6, 12).join(' ')}\n${' '.repeat(NAME.length + 2)}${groups.slice(12).join(' ')}\n`;
const sumStyle = `${sha512}  ${NAME}\n`;

const hits: string[] = [];
let server: Server;
let base = '';
test.before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    const routes: Record<string, Buffer | string> = {
      [`/good/${NAME}`]: body,
      [`/bad/${NAME}`]: Buffer.from('not the release'),
      [`/good/${NAME}.sha512`]: sumStyle,
      [`/good/${NAME}.gpg.sha512`]: gpgStyle,
    };
    const content = routes[req.url!];
    res.writeHead(content === undefined ? 404 : 200).end(content);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  await new Promise((r) => server.close(r));
  cleanup();
});

test('checksum files: both Apache formats parse; specs are validated', () => {
  assert.is(parseChecksumFile(sumStyle, 'sha512', NAME), sha512);
  assert.is(parseChecksumFile(gpgStyle, 'sha512', NAME), sha512);
  assert.is(parseChecksumFile(`${sha512} *${NAME}\n`, 'sha512', NAME), sha512);
  assert.is(parseChecksumFile(`${sha512}\n`, 'sha512', 'whatever'), sha512);
  assert.is(parseChecksumFile(`${'0'.repeat(128)}  other.tgz\n${sumStyle}`, 'sha512', NAME), sha512);
  assert.is(parseChecksumFile('garbage', 'sha512', NAME), null);
  assert.is(parseChecksumFile(sumStyle, 'sha256', NAME), null, 'a sha512 is not a sha256');
  assert.equal(parseChecksumSpec(`sha256:${sha256.toUpperCase()}`), { algo: 'sha256', hex: sha256 });
  assert.equal(parseChecksumSpec('sha512:https://x/y.sha512'), { algo: 'sha512', url: 'https://x/y.sha512' });
  assert.is(parseChecksumSpec('md5:abc'), null);
  assert.throws(() => download.args.parse({ url: 'http://x/y', dest: '/d', via: 'controller' }), /needs a checksum/);
});

test('download: sha256 ok converges, --check predicts it without downloading, undo removes it', async () => {
  const dir = tempDir();
  const args = { url: `${base}/good/${NAME}`, dest: `${dir}/`, checksum: `sha256:${sha256}`, mode: '0640' };
  hits.length = 0;
  const run = await lifecycle(download, args, { root: dir });
  assert.match(run.check.summary ?? '', /^download .* → .*kafka_2\.13-3\.5\.1\.tgz$/);
  assert.is(hits.length, 1, 'only apply downloads');
  await converge(download, args);
  assert.equal(readFileSync(`${dir}/${NAME}`), body);
  hits.length = 0;
  assert.ok((await check(download, args)).inSync);
  assert.is(hits.length, 0);
});

for (const [format, sumUrl] of [['sha512sum', `/good/${NAME}.sha512`], ['gpg grouped', `/good/${NAME}.gpg.sha512`]]) {
  test(`download: checksum from an Apache .sha512 file (${format} format)`, async () => {
    const dir = tempDir();
    await converge(download, { url: `${base}/good/${NAME}`, dest: `${dir}/k.tgz`, checksum: `sha512:${base}${sumUrl}` });
    assert.equal(readFileSync(`${dir}/k.tgz`), body);
    assert.ok((await check(download, { url: `${base}/good/${NAME}`, dest: `${dir}/k.tgz`, checksum_url: `${base}${sumUrl}` })).inSync);
  });
}

test('download: a checksum mismatch fails and leaves nothing at dest (new or existing)', async () => {
  const dir = tempDir();
  const args = { url: `${base}/bad/${NAME}`, dest: `${dir}/k.tgz`, checksum: `sha512:${sha512}`, retries: 0 };
  const err = await converge(download, args).catch((e) => e);
  assert.match(String(err), /checksum mismatch/);
  assert.equal(readdirSync(dir), []);
  writeFileSync(`${dir}/k.tgz`, 'previous');
  assert.match(String(await converge(download, args).catch((e) => e)), /checksum mismatch/);
  assert.equal(readdirSync(dir), ['k.tgz']);
  assert.is(readFileSync(`${dir}/k.tgz`, 'utf8'), 'previous');
});

test('download: mirrors are tried in order (first one 404), a wrong file is replaced and restored by undo', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/k.tgz`, 'stale');
  hits.length = 0;
  const args = { url: [`${base}/gone/${NAME}`, `${base}/good/${NAME}`], dest: `${dir}/k.tgz`, checksum: `sha256:${sha256}`, retries: 0 };
  const run = await lifecycle(download, args, { root: dir });
  assert.match(run.check.summary ?? '', /^re-download \(sha256 differs\)/);
  assert.equal(hits, [`/gone/${NAME}`, `/good/${NAME}`]);
  const err = await converge(download, { ...args, url: [`${base}/gone/a`, `${base}/gone/b`] }).catch((e) => e);
  assert.match(String(err), /failed from every URL/);
  assert.is(readFileSync(`${dir}/k.tgz`, 'utf8'), 'stale');
});

test('download via the controller: fetched once into the cache, uploaded; a mismatch caches nothing', async () => {
  const dir = tempDir();
  const cacheDir = tempDir('runbook-cache-');
  hits.length = 0;
  const args = { url: [`${base}/gone/${NAME}`, `${base}/good/${NAME}`], checksum: `sha512:${base}/good/${NAME}.sha512`, via: 'controller', retries: 0 };
  await lifecycle(download, { ...args, dest: `${dir}/a.tgz` }, { root: dir, cacheDir });
  await converge(download, { ...args, dest: `${dir}/b.tgz` }, { cacheDir });
  assert.equal(readFileSync(`${dir}/b.tgz`), body);
  assert.is(hits.filter((h) => h === `/good/${NAME}`).length, 1, 'downloaded once, then served from the cache');
  assert.equal(readdirSync(cacheDir), [`sha512-${sha512}`]);
  const bad = { url: `${base}/bad/${NAME}`, checksum: `sha256:${sha256}`, via: 'controller', dest: `${dir}/c.tgz`, retries: 0 };
  assert.match(String(await converge(download, bad, { cacheDir }).catch((e) => e)), /checksum mismatch/);
  assert.not.ok(existsSync(`${dir}/c.tgz`));
  assert.equal(readdirSync(cacheDir), [`sha512-${sha512}`]);
});

test('download: hostile dest names never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, v] of hostileValues(canary).entries()) {
    const dest = `${dir}/${i}${v.replace(/\//g, '_')}`;
    await lifecycle(download, { url: `${base}/good/${NAME}`, dest, checksum: `sha256:${sha256}` }, { root: dir });
  }
  assert.not.ok(existsSync(canary));
});

test.run();
