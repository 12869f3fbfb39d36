import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, symlinkSync, statSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HostShell, CommandError, parseStat } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import { throughSudo } from '../../src/transport/become.js';
import { sh } from '../../src/shell/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-host-'));
const shell = new HostShell(new LocalTransport('local'), userInfo().username);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('run returns output and throws CommandError with stderr on failure', async () => {
  const ok = await shell.run(['printf', '%s', 'hello world']);
  assert.is(ok.stdout, 'hello world');
  const err = await shell.run(sh`echo boom >&2; exit 3`).catch((e) => e);
  assert.instance(err, CommandError);
  assert.is(err.code, 3);
  assert.match(err.message, /exit code 3: boom/);
  const unchecked = await shell.run(sh`exit 5`, { check: false });
  assert.is(unchecked.code, 5);
});

test('env and chdir are applied, and their values are quoted', async () => {
  const r = await shell.run(sh`printf '%s|' "$GREETING"; pwd`, { env: { GREETING: `it's $(x)` }, chdir: dir });
  assert.is(r.stdout, `it's $(x)|${dir}\n`);
  const bad = await shell.run(['true'], { env: { 'BAD NAME': 'x' } }).catch((e) => e);
  assert.match(String(bad), /invalid environment variable name/);
});

test('readFile returns exact bytes, or null when absent', async () => {
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x27]);
  writeFileSync(join(dir, 'bin'), bytes);
  assert.equal(await shell.readFile(join(dir, 'bin')), bytes);
  assert.is(await shell.readFile(join(dir, 'missing')), null);
});

test('stat reports type, mode, owner and link targets (lstat)', async () => {
  writeFileSync(join(dir, 'f'), 'abc', { mode: 0o640 });
  symlinkSync('f', join(dir, 'l'));
  const f = await shell.stat(join(dir, 'f'));
  assert.equal(f, { type: 'file', mode: '640', owner: userInfo().username, group: f!.group, size: 3 });
  const l = await shell.stat(join(dir, 'l'));
  assert.is(l!.type, 'link');
  assert.is(l!.linkTarget, 'f');
  assert.is((await shell.stat(dir))!.type, 'directory');
  assert.is(await shell.stat(join(dir, 'nothing')), null);
  assert.is(parseStat('regular empty file|600|a|b|0\n')!.type, 'file');
});

test('writeFile is atomic, sets the mode, keeps an existing mode, and leaves no temp file', async () => {
  const target = join(dir, 'conf', 'w.cfg');
  await shell.run(['mkdir', '-p', join(dir, 'conf')]);
  await shell.writeFile(target, 'one\n', { mode: '0600' });
  assert.is(readFileSync(target, 'utf8'), 'one\n');
  assert.is(statSync(target).mode & 0o777, 0o600);
  await shell.writeFile(target, Buffer.from('two\n'));
  assert.is(readFileSync(target, 'utf8'), 'two\n');
  assert.is(statSync(target).mode & 0o777, 0o600, 'mode kept when not given');
  await shell.writeFile(join(dir, 'conf', 'new'), 'x');
  assert.is(statSync(join(dir, 'conf', 'new')).mode & 0o777, 0o644);
  assert.equal(readdirSync(join(dir, 'conf')).filter((n) => n.startsWith('.runbook-tmp')), []);
});

test('writeFile streams a Readable and a failed write leaves the old file intact', async () => {
  const target = join(dir, 'streamed');
  const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
  await shell.writeFile(target, { stream: Readable.from(chunks), size: 64 * 16 * 1024 });
  assert.equal(readFileSync(target), Buffer.concat(chunks));
  const err = await shell.writeFile(target, 'new', { owner: 'no-such-user-xyz' }).catch((e) => e);
  assert.instance(err, CommandError);
  assert.equal(readFileSync(target), Buffer.concat(chunks), 'old content kept');
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp')), [], 'temp file removed');
});

/** A transport whose stdin stops halfway, as when the controller dies mid-transfer. */
class CutOff extends LocalTransport {
  override exec(script: string, options: Parameters<LocalTransport['exec']>[1] = {}) {
    const stdin = options.stdin;
    if (Buffer.isBuffer(stdin)) return super.exec(script, { ...options, stdin: stdin.subarray(0, stdin.length / 2) });
    if (stdin instanceof Readable) {
      const half = Readable.from((async function* () {
        let n = 0;
        for await (const chunk of stdin) { if (n++ % 2 === 0) yield chunk; }
      })());
      return super.exec(script, { ...options, stdin: half });
    }
    return super.exec(script, options);
  }
}

test('a transfer cut off midway never replaces the file (buffer and stream)', async () => {
  const target = join(dir, 'precious');
  writeFileSync(target, 'old content\n');
  const cut = new HostShell(new CutOff('cut'), userInfo().username);
  const err = await cut.writeFile(target, Buffer.alloc(4096, 'x')).catch((e) => e);
  assert.match(String(err?.message), /cut off/);
  assert.is(readFileSync(target, 'utf8'), 'old content\n');
  const streamErr = await cut.writeFile(target, { stream: Readable.from([Buffer.alloc(1024, 'a'), Buffer.alloc(1024, 'b')]), size: 2048 }).catch((e) => e);
  assert.match(String(streamErr?.message), /cut off/);
  assert.is(readFileSync(target, 'utf8'), 'old content\n');
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp')), [], 'temp files removed');
});

test('a source stream that fails midway leaves the file as it was', async () => {
  const target = join(dir, 'precious2');
  writeFileSync(target, 'old\n');
  const failing = Readable.from((async function* () {
    yield Buffer.from('partial');
    throw new Error('download failed');
  })());
  const err = await shell.writeFile(target, { stream: failing, size: 1024 }).catch((e) => e);
  assert.match(String(err?.message), /download failed/);
  assert.is(readFileSync(target, 'utf8'), 'old\n');
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp')), [], 'temp file removed');
});

test('hostile file names are handled as data', async () => {
  const name = join(dir, `we'ird $(touch pwned) \`touch pwned\`\nname`);
  await shell.writeFile(name, 'data');
  assert.is((await shell.readFile(name))!.toString(), 'data');
  assert.is((await shell.stat(name))!.type, 'file');
  assert.not.ok(existsSync(join(dir, 'pwned')) || existsSync('pwned'));
});

test('become asks the transport for sudo only when the user differs; sudo -n runs the script', async () => {
  const seen: Array<{ script: string; user?: string }> = [];
  const recording = new HostShell(
    { host: 'h', connect: async () => {}, close: async () => {}, openTcp: () => Promise.reject(new Error('no network here')), exec: async (script, options) => { seen.push({ script, user: options?.become?.user }); return { code: 0, stdout: Buffer.from(''), stderr: Buffer.from('') }; } },
    'ops',
  );
  await recording.withBecome({ user: 'root' }).run(['id', '-u']);
  await recording.withBecome({ user: 'ops' }).run(['id', '-u']);
  assert.equal(seen, [{ script: 'id -u', user: 'root' }, { script: 'id -u', user: undefined }]);
  assert.is(throughSudo({ user: 'root' }, 'id -u', undefined).script, `sudo -n -H -u root -- /bin/sh -c 'id -u'`);
});

test.run();
