// The connection agent (RUNBOOK_CONTROL_PERSIST) against a real sshd: a second run reuses the
// first run's connection and login shell, everything a transport does works through it, a run
// that goes away has its remote commands killed, a connection is shared only by runs asking for
// the same thing, the socket's directory must be the user's own, and the agent exits when idle.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUserError } from '../../src/errors.js';
import { sh } from '../../src/shell/quote.js';
import { openTransport } from '../../src/transport/connect.js';
import { HostShell } from '../../src/transport/host.js';
import type { Transport } from '../../src/transport/types.js';
import { caught } from '../helpers/caught.js';
import { freePort, inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { sudoUser } from '../helpers/sudo-user.js';
import { waitFor } from '../helpers/wait.js';

let sshd: Sshd;
let home: string;
const original = { HOME: process.env.HOME, persist: process.env.RUNBOOK_CONTROL_PERSIST };

test.before(async () => {
  sshd = await startSshd({ maxSessions: 10 });
  home = mkdtempSync(join(tmpdir(), 'runbook-agent-home-'));
  process.env.HOME = home;
  process.env.RUNBOOK_CONTROL_PERSIST = '2';
});

test.after(async () => {
  // Every agent this suite started idles out (2 s): its socket goes with it.
  const cp = join(home, '.runbook', 'cp');
  assert.ok(await waitFor(() => !existsSync(cp) || readdirSync(cp).every((f) => !f.endsWith('.sock'))), 'the agents exited once idle');
  process.env.HOME = original.HOME;
  if (original.persist === undefined) delete process.env.RUNBOOK_CONTROL_PERSIST;
  else process.env.RUNBOOK_CONTROL_PERSIST = original.persist;
  await sshd.stop();
  rmSync(home, { recursive: true, force: true });
});

async function run<T>(use: (t: Transport) => Promise<T>, knownHostsFile = sshd.knownHosts): Promise<T> {
  const { transport } = await openTransport(inventoryHost(sshd), { knownHostsFile });
  try {
    await transport.connect();
    return await use(transport);
  } finally {
    await transport.close();
  }
}

const loginShell = (t: Transport) => t.exec('echo $PPID').then((r) => r.stdout.toString().trim());
const gone = (marker: string) => async () =>
  (await run((t) => t.exec(`pgrep -f "[${marker[0]}]${marker.slice(1)}"`))).code === 1;

test('a second run reuses the first run\'s connection and login shell; the agent exits once idle', async () => {
  const before = sshd.connections();
  const first = await run(loginShell);
  const second = await run(loginShell);
  assert.is(second, first, 'the same login shell');
  assert.is(sshd.connections() - before, 1, 'one TCP connection for both runs');
  const cp = join(home, '.runbook', 'cp');
  const log = readdirSync(cp).find((f) => f.endsWith('.log'))!;
  const pid = Number(/\[(\d+)\] listening/.exec(readFileSync(join(cp, log), 'utf8'))?.[1]);
  assert.ok(pid > 0, 'the agent logged its pid');
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  assert.ok(await waitFor(() => !alive()), 'the agent exited after 2 s without a run');
  assert.ok(!readdirSync(cp).some((f) => f.endsWith('.sock')), 'and removed its socket');
  const third = await run(loginShell);
  assert.is.not(third, first, 'a new agent, a new connection');
});

test('a run asking for another idle time gets an agent of its own; the socket name is salted; gone agents\' old logs are removed', async () => {
  const [own, another] = ['names', 'salt'].map((word) => mkdtempSync(join(tmpdir(), `runbook-agent-${word}-`)));
  const cpOf = (dir: string) => join(dir, '.runbook', 'cp');
  const cp = cpOf(own);
  mkdirSync(cp, { recursive: true, mode: 0o700 });
  chmodSync(join(own, '.runbook'), 0o700);
  const [stale, recent] = ['0'.repeat(20), '1'.repeat(20)].map((n) => join(cp, `${n}.sock.log`));
  for (const log of [stale, recent]) writeFileSync(log, 'an earlier build\'s agent\n');
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  utimesSync(stale, weekAgo, weekAgo);
  const sockets = (dir: string) => (existsSync(cpOf(dir)) ? readdirSync(cpOf(dir)).filter((f) => f.endsWith('.sock')) : []);
  /** The sockets in the home's directory while a run with this idle time is attached. */
  const socketsDuring = async (dir: string, idle: string) => {
    process.env.HOME = dir;
    process.env.RUNBOOK_CONTROL_PERSIST = idle;
    return run(async (t) => {
      await loginShell(t);
      return sockets(dir);
    });
  };
  try {
    const [first] = await socketsDuring(own, '2');
    assert.ok(first);
    assert.ok(!existsSync(stale), 'a gone agent\'s log untouched for a week was removed');
    assert.ok(existsSync(recent), 'a recent one is kept');
    assert.is(statSync(join(cp, 'salt')).mode & 0o777, 0o600);
    assert.is(statSync(join(cp, 'salt')).size, 32);

    const other = (await socketsDuring(own, '3')).find((n) => n !== first);
    assert.ok(other, 'another idle time, another agent');
    assert.match(readFileSync(join(cp, `${other}.log`), 'utf8'), /idle 3000 ms/);

    // Everything else alike, only the directory's salt differs: unsalted, the names would match.
    const [salted] = await socketsDuring(another, '2');
    assert.ok(salted && salted !== first, `${salted} beside ${first}`);
  } finally {
    process.env.HOME = home;
    process.env.RUNBOOK_CONTROL_PERSIST = '2';
    assert.ok(await waitFor(() => sockets(own).length + sockets(another).length === 0), 'the agents exited once idle');
    for (const dir of [own, another]) rmSync(dir, { recursive: true, force: true });
  }
});

test('through the agent: output apart, exit codes, 16 MiB of stdin from a stream, a batch with its prelude, a TCP tunnel', async () => {
  await run(async (t) => {
    const r = await t.exec('echo out; echo err >&2; exit 3');
    assert.equal([r.code, r.stdout.toString(), r.stderr.toString()], [3, 'out\n', 'err\n']);
    // 16 MiB in 64 KiB chunks: more than the sockets buffer, so both ends wait for the other.
    const data = randomBytes(16 << 20);
    const chunks = Array.from({ length: 256 }, (_, i) => data.subarray(i << 16, (i + 1) << 16));
    const sum = await t.exec('sha256sum', { stdin: Readable.from(chunks) });
    assert.is(sum.stdout.toString().split(' ')[0], createHash('sha256').update(data).digest('hex'));
    const batch = await t.execMany!(['echo "$seen" one', 'echo "$seen" two; exit 4'], { prelude: 'seen=yes' });
    assert.ok(batch, 'the login shell takes a batch');
    const [one, two] = await Promise.all(batch!);
    assert.equal([one.stdout.toString(), two.stdout.toString(), two.code], ['yes one\n', 'yes two\n', 4]);
    const tunnel = await t.openTcp('127.0.0.1', sshd.port);
    const banner = await new Promise<string>((resolve) => tunnel.once('data', (b: Buffer) => resolve(b.toString())));
    assert.match(banner, /^SSH-2\.0-OpenSSH/);
    tunnel.destroy();
  });
});

test('a timeout and an abort kill the remote command, and fail as they would over SSH', async () => {
  await run(async (t) => {
    const marker = `runbook-agent-timeout-${process.pid}`;
    const e = await caught(t.exec(`sleep 30; echo ${marker}`, { timeoutMs: 300 }));
    assert.ok(isUserError(e) && e.kind === 'task', e.message);
    assert.match(e.message, 'timed out after 300 ms');
    assert.ok(await waitFor(gone(marker)), 'the timed-out sleep is gone');
    const aborted = `runbook-agent-abort-${process.pid}`;
    const controller = new AbortController();
    const running = t.exec(`sleep 30; echo ${aborted}`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    assert.is((await caught(running)).name, 'AbortError');
    assert.ok(await waitFor(gone(aborted)), 'the aborted sleep is gone');
  });
});

test('a run killed in the middle of a command has that command killed on the host', async () => {
  // On the login shell the script's text is no process's command line: the sleep's own is.
  const marker = `sleep 3000.${process.pid}`;
  const started = join(home, 'started');
  const client = join(home, 'client.mts');
  const src = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
  writeFileSync(
    client,
    `import { openTransport } from ${JSON.stringify(src('src/transport/connect.ts'))};
import { inventoryHost } from ${JSON.stringify(src('test/helpers/sshd.ts'))};
const { transport } = await openTransport(inventoryHost(${JSON.stringify(sshd)}), { knownHostsFile: ${JSON.stringify(sshd.knownHosts)} });
await transport.exec(${JSON.stringify(`touch ${started}; ${marker}`)});
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', client], { stdio: 'ignore', env: process.env });
  try {
    assert.ok(await waitFor(() => existsSync(started)), 'the command started');
    assert.ok(!(await gone(marker)()), 'and runs');
    child.kill('SIGKILL');
    assert.ok(await waitFor(gone(marker)), 'the command of the killed run is gone');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a host out of reach is unreachable through the agent, and the failed run still exits', async () => {
  const client = join(home, 'unreachable.mts');
  const src = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
  const closedPort = { ...inventoryHost(sshd), port: await freePort() };
  writeFileSync(
    client,
    `import { openTransport } from ${JSON.stringify(src('src/transport/connect.ts'))};
const { transport } = await openTransport(${JSON.stringify(closedPort)}, { knownHostsFile: ${JSON.stringify(sshd.knownHosts)}, connectTimeoutMs: 5000 });
try { await transport.connect(); console.log('connected?'); } catch (e) { console.log(e.kind, e.name); }
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', client], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    assert.ok(await waitFor(() => out.includes('\n')), 'the connect failed');
    assert.is(out.trim(), 'unreachable UnreachableError');
    assert.is(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]), 0, 'and nothing kept the process alive');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a connection is shared only by runs asking for the same: another or an edited known_hosts file is a new one', async () => {
  const first = await run(loginShell);
  const before = sshd.connections();
  const copy = join(home, 'known_hosts');
  copyFileSync(sshd.knownHosts, copy);
  assert.is.not(await run(loginShell, copy), first, 'another known_hosts file');
  writeFileSync(copy, `# edited\n${readFileSync(copy, 'utf8')}`);
  const edited = await run(loginShell, copy);
  assert.is.not(edited, first);
  assert.is(await run(loginShell, copy), edited, 'unchanged since: shared again');
  assert.is(sshd.connections() - before, 2);
});

test('a connection no run has used for the idle time is closed, while the agent serves another', async () => {
  const { transport: attached } = await openTransport(inventoryHost(sshd), { knownHostsFile: sshd.knownHosts });
  try {
    await attached.connect();
    const copy = join(home, 'idle_known_hosts');
    copyFileSync(sshd.knownHosts, copy);
    const first = await run(loginShell, copy);
    const cp = join(home, '.runbook', 'cp');
    const logged = () => readdirSync(cp).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(cp, f), 'utf8')).join('');
    const id = [...logged().matchAll(/new connection (\w+) for target/g)].at(-1)![1];
    assert.ok(await waitFor(() => logged().includes(`closing the idle connection ${id} for target`)), 'closed after 2 s unused');
    assert.is.not(await run(loginShell, copy), first, 'the next run gets a new one');
    assert.is((await attached.exec('echo still')).stdout.toString(), 'still\n', 'the attached run kept its own');
  } finally {
    await attached.close();
  }
});

test('a become shell is kept for the runs that give its password, and for no other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-agent-sudo-'));
  chmodSync(dir, 0o777);
  const account = sudoUser('runbook-agent-sudo', `pw 'with" $quotes`, join(dir, 'home'));
  account.allow('password');
  const asRoot = async (password: string) => {
    const { transport } = await openTransport(inventoryHost(sshd, 'target', { user: account.name }), { knownHostsFile: sshd.knownHosts });
    try {
      await transport.connect();
      return (await new HostShell(transport, account.name).withBecome({ user: 'root', password }).run(sh`echo "$$ $(id -un)"`)).stdout.trim();
    } finally {
      await transport.close();
    }
  };
  try {
    const first = await asRoot(account.password);
    assert.match(first, / root$/);
    assert.is(await asRoot(account.password), first, 'the next run is given the same root shell');
    const wrong = await caught(asRoot('wrong'));
    assert.match(wrong.message, /become password was refused/);
  } finally {
    // The agent closes the user's connection once unused for its idle time; userdel refuses
    // before. The account goes (its sudo rule first) whatever the assertions said.
    const loggedIn = () => spawnSync('pgrep', ['-u', account.name]).status === 0;
    const released = await waitFor(() => !loggedIn());
    try {
      account.remove();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(released, 'the agent let the login go once idle');
  }
});

test('the socket directory must be a directory of the user\'s own, closed to others; nothing is connected otherwise', async () => {
  const before = sshd.connections();
  const open = mkdtempSync(join(tmpdir(), 'runbook-agent-open-'));
  const linked = mkdtempSync(join(tmpdir(), 'runbook-agent-link-'));
  try {
    mkdirSync(join(open, '.runbook', 'cp'), { recursive: true });
    chmodSync(join(open, '.runbook', 'cp'), 0o755);
    mkdirSync(join(linked, '.runbook'), { mode: 0o700 });
    symlinkSync(tmpdir(), join(linked, '.runbook', 'cp'));
    for (const [dir, why] of [[open, 'is open to other users (mode 755)'], [linked, 'is not a directory (a link?)']]) {
      process.env.HOME = dir;
      const e = await caught(run(loginShell));
      assert.ok(isUserError(e) && e.kind === 'config', e.message);
      assert.match(e.message, why);
    }
  } finally {
    process.env.HOME = home;
    rmSync(open, { recursive: true, force: true });
    rmSync(linked, { recursive: true, force: true });
  }
  assert.is(sshd.connections(), before);
});

test('RUNBOOK_CONTROL_PERSIST takes seconds; anything else is a config error', async () => {
  process.env.RUNBOOK_CONTROL_PERSIST = '1m';
  try {
    const e = await caught(run(loginShell));
    assert.ok(isUserError(e) && e.kind === 'config');
    assert.match(e.message, 'RUNBOOK_CONTROL_PERSIST="1m": expected the seconds');
  } finally {
    process.env.RUNBOOK_CONTROL_PERSIST = '2';
  }
});

test('a refused host key comes back through the agent as the same user error', async () => {
  const wrong = join(home, 'wrong_known_hosts');
  writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
  const e = await caught(run(loginShell, wrong));
  assert.ok(isUserError(e) && e.kind === 'host-key', `${e.name}: ${e.message}`);
});

test.run();
