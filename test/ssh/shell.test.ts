// The long-lived shell the SSH transport runs stdin-less scripts on (src/transport/ssh-shell.ts),
// against a real sshd: it saves a session per exec, and the results are exactly a channel's.

import { waitFor } from '../helpers/wait.js';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openTransport } from '../../src/transport/connect.js';
import type { Transport } from '../../src/transport/types.js';
import { HostShell } from '../../src/transport/host.js';
import { runCommand } from '../../src/sdk/command.js';
import { raw } from '../../src/shell/quote.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
const others: Sshd[] = [];

test.before(async () => {
  sshd = await startSshd();
});

test.after(async () => {
  await sshd?.stop();
  for (const s of others) await s.stop();
});

const sessions = (server: Sshd) => server.log().split('\n').filter((l) => l.includes('Starting session:')).length;

async function connected(server: Sshd): Promise<Transport> {
  const { transport } = await openTransport(inventoryHost(server), { knownHostsFile: server.knownHosts });
  await transport.connect();
  return transport;
}

test('50 stdin-less execs run on one session, each a new process of the same shell', async () => {
  const transport = await connected(sshd);
  const before = sessions(sshd);
  try {
    const seen = new Set<string>();
    const shells = new Set<string>();
    for (let i = 0; i < 50; i++) {
      // A script is a subshell of the one shell: $$ is that shell's pid, and what the script
      // starts has the script's own process as its parent.
      const [shell, own] = (await transport.exec(`echo $$ $(sh -c 'echo $PPID')`)).stdout.toString().trim().split(' ');
      shells.add(shell);
      seen.add(own);
    }
    assert.is(sessions(sshd) - before, 1, 'one session, the shell');
    assert.is(seen.size, 50, 'every script is a process of its own');
    assert.is(shells.size, 1, 'all started by the one shell');
    assert.not.ok(shells.has([...seen][0]), 'not the shell itself');
  } finally {
    await transport.close();
  }
});

test("a batch's prelude: what it sets every script of the batch sees, and nothing after the batch", async () => {
  const transport = await connected(sshd);
  try {
    const results = await transport.execMany!(['echo "1:$rb_batch_var"', 'echo "2:$rb_batch_var"'], { prelude: 'rb_batch_var=set-for-the-batch' });
    assert.ok(results, 'the shell took the batch');
    const out = await Promise.all(results.map(async (r) => (await r).stdout.toString()));
    assert.equal(out, ['1:set-for-the-batch\n', '2:set-for-the-batch\n']);
    assert.is((await transport.exec('echo "after:$rb_batch_var"')).stdout.toString(), 'after:\n');
  } finally {
    await transport.close();
  }
});

test("a shell: step's script has a $$ of its own, not the long-lived shell's (as under Ansible)", async () => {
  const transport = await connected(sshd);
  try {
    const shell = new HostShell(transport, 'root');
    const shellPid = (await transport.exec('echo $$')).stdout.toString().trim();
    const own = async () => String((await runCommand(shell, raw('echo $$'), {}, new AbortController().signal)).data?.stdout);
    const [a, b] = [await own(), await own()];
    assert.is.not(a, shellPid);
    assert.is.not(a, b, 'each run its own shell');
  } finally {
    await transport.close();
  }
});

test('bytes come back exact: binary stdout and stderr, no trailing newline, multi-byte and large scripts', async () => {
  const transport = await connected(sshd);
  try {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const octal = [...all].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    const r = await transport.exec(`printf '${octal}'; printf '${octal}' >&2; exit 7`);
    assert.is(r.code, 7);
    assert.ok(r.stdout.equals(all), 'stdout');
    assert.ok(r.stderr.equals(all), 'stderr');

    // The script is framed by its length in bytes, not characters.
    const text = '안녕 ✓ ' + "it's \"quoted\" $HOME `x`";
    assert.is((await transport.exec(`cat <<'EOF'\n${text}\nEOF`)).stdout.toString(), `${text}\n`);

    // Larger than a pipe buffer, to make the shell read its script in many pieces (and below the
    // kernel's 128 KiB limit on one argument, which holds for a script on a channel as well).
    const blob = randomBytes(75_000).toString('base64');
    const big = await transport.exec(`x='${blob}'; printf %s "$x" | wc -c`);
    assert.is(big.stdout.toString().trim(), String(blob.length));

    // A large output (hundreds of chunks, the markers found across chunk boundaries), then the
    // shell is ready for the next script.
    const large = await transport.exec('head -c 30000000 /dev/urandom | tee /dev/stderr | sha256sum');
    assert.is(large.stderr.length, 30_000_000);
    assert.is(large.stdout.toString().slice(0, 64), createHash('sha256').update(large.stderr).digest('hex'));
    assert.is((await transport.exec('echo next')).stdout.toString(), 'next\n');
  } finally {
    await transport.close();
  }
});

test('execs with stdin, and execs that arrive while the shell is busy, run on channels; no output is mixed up', async () => {
  const transport = await connected(sshd);
  try {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0 ? transport.exec('cat; echo " $$"', { stdin: `in${i}` }) : transport.exec(`sleep 0.1; echo out${i}; echo err${i} >&2`),
      ),
    );
    results.forEach((r, i) => {
      if (i % 3 === 0) assert.match(r.stdout.toString(), new RegExp(`^in${i} \\d+\\n$`));
      else assert.equal([r.stdout.toString(), r.stderr.toString()], [`out${i}\n`, `err${i}\n`]);
    });
  } finally {
    await transport.close();
  }
});

test('the shell exits when the transport closes', async () => {
  const transport = await connected(sshd);
  const shellPid = (await transport.exec('echo $$')).stdout.toString().trim();
  await transport.close();
  const check = await connected(sshd);
  try {
    const gone = await waitFor(async () => (await check.exec(`kill -0 ${shellPid}`, { stdin: '' })).code !== 0);
    assert.ok(gone, `shell ${shellPid} is gone`);
  } finally {
    await check.close();
  }
});

test('a timed-out script takes the shell with it; the next exec gets a new shell', async () => {
  const transport = await connected(sshd);
  const shellPid = async () => (await transport.exec('echo $$')).stdout.toString().trim();
  try {
    const first = await shellPid();
    await transport.exec('sleep 30', { timeoutMs: 200 }).catch(() => undefined);
    // The kill runs on a channel of its own; until it lands, execs go to channels too.
    const gone = await waitFor(async () => (await transport.exec(`kill -0 ${first} 2>/dev/null || echo gone`)).stdout.toString() === 'gone\n', 60_000, 50);
    assert.ok(gone, `the old shell ${first} is gone`);
    const [a, b] = [await shellPid(), await shellPid()];
    assert.is(a, b, 'a new shell serves the next execs');
    assert.is.not(a, first);
  } finally {
    await transport.close();
  }
});

test('an abort that lands while the shell is still starting stops the exec before its script runs', async () => {
  const transport = await connected(sshd);
  const marker = `runbook-early-abort-${process.pid}`;
  try {
    const controller = new AbortController();
    const running = transport.exec(`touch /tmp/${marker}; sleep 30`, { signal: controller.signal });
    controller.abort();
    const e = await running.then(() => undefined, (err: Error) => err);
    assert.is(e?.name, 'AbortError');
    assert.is((await transport.exec(`test -e /tmp/${marker} && echo ran || echo never`)).stdout.toString(), 'never\n');
  } finally {
    await transport.exec(`rm -f /tmp/${marker}`);
    await transport.close();
  }
});

test("what the login shell's rc files print never reaches a command's output, on the shell or on a channel", async () => {
  // bash -c (sshd runs commands through the login shell) sources $BASH_ENV first.
  const noise = join(sshd.dir, 'noise.sh');
  writeFileSync(noise, 'echo rc-noise-out; echo rc-noise-err >&2\n');
  const server = await startSshd({ config: [`SetEnv BASH_ENV=${noise}`] });
  others.push(server);
  const transport = await connected(server);
  try {
    const onShell = await transport.exec('echo out; echo err >&2');
    assert.equal([onShell.stdout.toString(), onShell.stderr.toString()], ['out\n', 'err\n']);
    const onChannel = await transport.exec('cat; echo err >&2', { stdin: 'in\n' });
    assert.equal([onChannel.stdout.toString(), onChannel.stderr.toString()], ['in\n', 'err\n']);
    // The noise is really there: a plain ssh command sees it.
    const plain = spawnSync('ssh', ['-p', String(server.port), '-i', server.userKey, '-o', `UserKnownHostsFile=${server.knownHosts}`, '-o', 'BatchMode=yes', `${server.user}@${server.address}`, 'true'], { encoding: 'utf8' });
    assert.match(plain.stdout + plain.stderr, 'rc-noise');
  } finally {
    await transport.close();
  }
});

test('a host that will not run the shell (a forced command refuses it) is served over channels', async () => {
  const refuse = `case "$SSH_ORIGINAL_COMMAND" in "exec /bin/sh") echo no shells here >&2; exit 1;; *) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND";; esac`;
  const server = await startSshd({ config: [`ForceCommand ${refuse}`] });
  others.push(server);
  const transport = await connected(server);
  try {
    const before = sessions(server);
    for (let i = 0; i < 5; i++) assert.is((await transport.exec(`echo ${i}`)).stdout.toString(), `${i}\n`);
    // The refused shell, then one channel per exec.
    assert.is(sessions(server) - before, 6);
  } finally {
    await transport.close();
  }
});

test.run();
