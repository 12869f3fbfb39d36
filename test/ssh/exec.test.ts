// The SSH transport against a real sshd: exec semantics, quoting, stdin, timeouts, the channel cap
// and the one-connection-per-host promise.

import { waitFor } from '../helpers/wait.js';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUserError } from '../../src/errors.js';
import type { Inventory } from '../../src/model.js';
import { openTransport } from '../../src/transport/connect.js';
import { HostShell } from '../../src/transport/host.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import type { Transport } from '../../src/transport/types.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/caught.js';

let sshd: Sshd;
let transport: Transport;
let shell: HostShell;
let scratch: string;

test.before(async () => {
  sshd = await startSshd({ maxSessions: 10 });
  const opened = await openTransport(inventoryHost(sshd), { knownHostsFile: sshd.knownHosts });
  transport = opened.transport;
  await transport.connect();
  shell = new HostShell(transport, opened.loginUser);
  scratch = (await shell.run(['mktemp', '-d'])).stdout.trim();
});

test.after(async () => {
  await shell?.run(['rm', '-rf', scratch]).catch(() => undefined);
  await transport?.close();
  await sshd?.stop();
});

test('stdout, stderr and exit codes come back apart', async () => {
  const r = await transport.exec('echo out; echo err >&2; exit 3');
  assert.is(r.code, 3);
  assert.is(r.stdout.toString(), 'out\n');
  assert.is(r.stderr.toString(), 'err\n');
  assert.is((await transport.exec('true')).code, 0);
  assert.is((await transport.exec('printf x')).stderr.length, 0);
});

test('a script killed by a signal exits 128+n', async () => {
  // The script's own process, on the shell (no stdin) and on a channel of its own (stdin).
  for (const stdin of [undefined, '']) {
    assert.is((await transport.exec(`sh -c 'kill -TERM $PPID'; sleep 30`, { stdin })).code, 143);
    assert.is((await transport.exec(`sh -c 'kill -KILL $PPID'; sleep 30`, { stdin })).code, 137);
  }
});

test('hostile arguments arrive intact as single words', async () => {
  const canary = `${scratch}/pwned`;
  const hostile = [
    '',
    ' spaces  inside ',
    "it's",
    '"double"',
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    '${HOME} $HOME',
    'line1\nline2\n',
    "'; touch " + canary + ' #',
    'back\\slash\\',
    '* ? [a-z] ~ #x',
    '-n',
    'unicode ✓ 안녕',
  ];
  const r = await shell.run(['printf', '%s\\0', ...hostile]);
  assert.equal(r.stdout.split('\0').slice(0, -1), hostile);
  assert.not.ok((await shell.stat(canary)) !== null, 'nothing was executed');
});

test('stdin as a string, a Buffer and a stream', async () => {
  assert.is((await transport.exec('cat', { stdin: 'from a string\n' })).stdout.toString(), 'from a string\n');
  const bytes = randomBytes(70_000);
  assert.ok((await transport.exec('cat', { stdin: bytes })).stdout.equals(bytes));
  const stream = Readable.from(['a', 'b', 'c'].map((s) => Buffer.from(s)));
  assert.is((await transport.exec('cat', { stdin: stream })).stdout.toString(), 'abc');
  // A command that exits without reading its input is not an error.
  assert.is((await transport.exec('exit 0', { stdin: Readable.from([randomBytes(1 << 20)]) })).code, 0);
});

test('a 1 MiB file is written and read back byte-identical', async () => {
  const data = randomBytes(1 << 20);
  const path = `${scratch}/one meg`;
  await shell.writeFile(path, data, { mode: '0600' });
  const back = await shell.readFile(path);
  assert.ok(back?.equals(data));
  const remote = (await shell.run(['sha256sum', path])).stdout.split(' ')[0];
  assert.is(remote, createHash('sha256').update(data).digest('hex'));
  assert.is((await shell.stat(path))?.mode, '600');
});

test('a timeout fails the exec and kills the remote command', async () => {
  const marker = `runbook-timeout-${process.pid}`;
  const e = await caught(transport.exec(`sleep 30; echo ${marker}`, { timeoutMs: 300 }));
  assert.match(e.message, 'timed out after 300 ms');
  assert.ok(isUserError(e));
  assert.ok(await waitFor(async () => (await transport.exec(`pgrep -f "[${marker[0]}]${marker.slice(1)}"`)).code === 1), 'the sleep is gone');
});

test('an abort signal stops the command', async () => {
  const marker = `runbook-abort-${process.pid}`;
  const controller = new AbortController();
  const running = transport.exec(`sleep 30; echo ${marker}`, { signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  const e = await caught(running);
  assert.is(e.name, 'AbortError');
  assert.ok(await waitFor(async () => (await transport.exec(`pgrep -f "[${marker[0]}]${marker.slice(1)}"`)).code === 1), 'the sleep is gone');
});

test('20 concurrent execs on MaxSessions 10 all succeed, never more than 8 channels at once', async () => {
  const dir = `${scratch}/running`;
  await shell.run(['mkdir', dir]);
  // Each script waits (up to 60 s) until it sees another running, or one pair has met already:
  // whether channels overlap does not hang on how fast this machine opens them.
  const one = `mkdir "$1/$$"; i=0; while n=$(ls "$1" | wc -l); [ "$n" -lt 2 ] && [ ! -e "$1.met" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
[ "$n" -ge 2 ] && touch "$1.met"; echo "$n"; rmdir "$1/$$"`;
  const results = await Promise.all(Array.from({ length: 20 }, () => shell.run(['sh', '-c', one, 'sh', dir])));
  const peak = Math.max(...results.map((r) => Number(r.stdout.trim())));
  assert.ok(peak <= 8, `peak ${peak}`);
  assert.ok(peak >= 2, `channels ran in parallel (peak ${peak})`);
});

test('without the cap, the same load overruns MaxSessions (the cap is what prevents it)', async () => {
  const { transport: uncapped } = await openTransport(inventoryHost(sshd), { knownHostsFile: sshd.knownHosts, maxSessions: 20 });
  try {
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => uncapped.exec('sleep 3')));
    const refused = settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason.message));
    assert.ok(refused.length > 0, 'some channels were refused');
    assert.match(refused[0], "refused a session channel", refused.join("\n"));
  } finally {
    await uncapped.close();
  }
});

test('50 sequential runs through the pool use exactly one TCP connection', async () => {
  const before = sshd.connections();
  const inventory: Inventory = { hash: '', hosts: new Map([['target', inventoryHost(sshd)]]), groups: new Map() };
  const pool = new ConnectionPool(inventory, { knownHostsFile: sshd.knownHosts });
  try {
    for (let i = 0; i < 50; i++) {
      const { transport: t, loginUser } = await pool.get('target');
      const r = await new HostShell(t, loginUser).run(['echo', String(i)]);
      assert.is(r.stdout, `${i}\n`);
    }
  } finally {
    await pool.closeAll();
  }
  assert.is(sshd.connections() - before, 1);
});

test.run();
