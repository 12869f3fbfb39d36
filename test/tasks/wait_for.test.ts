import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import waitFor from '../../tasks/wait_for.js';
import { check, cleanup, context, hostileValues, tempDir } from '../helpers/task-harness.js';
import { runCheck } from '../../src/task/check.js';

test.after(cleanup);

async function listen(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

test('wait_for: an open port is in sync; a closed one reports it would wait, and stopped is in sync', async () => {
  const srv = await listen();
  assert.ok((await check(waitFor, { port: srv.port })).inSync);
  const closed = await check(waitFor, { port: srv.port, state: 'stopped' }, { checkMode: true });
  assert.is(closed.inSync, false);
  assert.match(closed.summary ?? '', /wait for 127\.0\.0\.1:\d+ to be closed/);
  await srv.close();
  assert.ok((await check(waitFor, { port: srv.port, state: 'stopped' })).inSync);
  assert.is((await check(waitFor, { port: srv.port })).inSync, false);
});

test('wait_for: waits until the port opens, and times out with a clear error', async () => {
  const srv = await listen();
  await srv.close();
  const ctx = context(waitFor, { port: srv.port, timeout: 20, sleep: 0.2 });
  const waiting = waitFor.apply(ctx, undefined);
  const server = createServer((s) => s.end());
  setTimeout(() => server.listen(srv.port, '127.0.0.1'), 500);
  assert.equal(await waiting, { changed: false });
  server.close();
  const err = await waitFor.apply(context(waitFor, { port: srv.port, state: 'started', host: '127.0.0.1', timeout: 0.5, sleep: 0.2 }), undefined).catch((e) => e);
  assert.match(String(err), /timed out after 0\.5s waiting for 127\.0\.0\.1:\d+ to be open/);
});

test('wait_for: a file present / absent, and a regex in a file', async () => {
  const dir = tempDir();
  const log = `${dir}/server.log`;
  assert.is((await check(waitFor, { path: log })).inSync, false);
  assert.ok((await check(waitFor, { path: log, state: 'absent' })).inSync);
  writeFileSync(log, 'starting\n');
  const ctx = context(waitFor, { path: log, search_regex: 'binding to port \\d+', timeout: 20, sleep: 0.2 });
  assert.is((await runCheck(waitFor, ctx)).inSync, false);
  setTimeout(() => writeFileSync(log, 'starting\nbinding to port 2181\n'), 400);
  assert.equal(await waitFor.apply(ctx, undefined), { changed: false });
  assert.ok((await runCheck(waitFor, ctx)).inSync);
});

test('wait_for: hostile paths, regexes and host names never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const v of hostileValues(canary)) {
    writeFileSync(`${dir}/f`, v);
    await check(waitFor, { path: `${dir}/${v.replace(/\//g, '_')}` });
    await check(waitFor, { path: `${dir}/f`, search_regex: v.replace(/[()\\]/g, '.') });
    await check(waitFor, { host: v, port: 1 }).catch(() => {});
  }
  assert.not.ok(existsSync(canary));
  assert.throws(() => waitFor.args.parse({ port: 1, path: '/x' }), /port or path/);
});

test.run();
