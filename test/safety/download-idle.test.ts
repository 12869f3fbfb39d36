// Safety (medium): download via the controller gives up on a stalled transfer, not on a slow one:
// `timeout` is the longest silence allowed, whatever the transfer's length.

import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import download from '../../tasks/download.js';
import { caught } from '../helpers/caught.js';
import { cleanup, converge, tempDir } from '../helpers/task-harness.js';

const CHUNKS = 30;
const body = Buffer.alloc(CHUNKS * 1000, 'k');
const sha256 = createHash('sha256').update(body).digest('hex');
let server: Server;
let base = '';
const open: ServerResponse[] = [];

/** Sends `chunks` pieces of the body 100 ms apart, then ends (or, when `stall`, stops sending). */
function trickle(res: ServerResponse, chunks: number, stall: boolean): void {
  res.writeHead(200, { 'content-length': String(body.length) });
  let sent = 0;
  const next = () => {
    if (sent === chunks) {
      if (stall) open.push(res);
      else res.end();
      return;
    }
    res.write(body.subarray(sent * 1000, ++sent * 1000));
    setTimeout(next, 100);
  };
  next();
}

test.before(async () => {
  server = createServer((req, res) => (req.url === '/slow/r.tgz' ? trickle(res, CHUNKS, false) : trickle(res, 2, true)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(async () => {
  open.forEach((res) => res.destroy());
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanup();
});

test('a transfer that takes longer than timeout but never stalls that long completes', async () => {
  const dir = tempDir();
  await converge(download, { url: `${base}/slow/r.tgz`, dest: `${dir}/r.tgz`, checksum: `sha256:${sha256}`, via: 'controller', timeout: 2, retries: 0 }, { cacheDir: `${dir}/cache` });
  assert.equal(readFileSync(`${dir}/r.tgz`), body);
});

test('a transfer that stalls for longer than timeout is abandoned', async () => {
  const dir = tempDir();
  const e = await caught(converge(download, { url: `${base}/stall/r.tgz`, dest: `${dir}/r.tgz`, checksum: `sha256:${sha256}`, via: 'controller', timeout: 2, retries: 0 }, { cacheDir: `${dir}/cache` }));
  assert.match(e.message, /no data from .*stall.* for 2 s/);
});

test.run();
