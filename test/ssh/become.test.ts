// Become over SSH (src/transport/ssh-shells.ts): a login user with sudo, against a real sshd and
// real sudo. Stdin-less scripts as another user run on one long-lived shell started through sudo,
// report what a sudo per script reports, and are stopped, with all they started, when they time
// out; a password is given to sudo once and never reaches a script; where a become shell cannot
// run, each script goes through a sudo of its own, as before.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTransport } from '../../src/transport/connect.js';
import { HostShell } from '../../src/transport/host.js';
import { sh } from '../../src/shell/quote.js';
import type { Transport } from '../../src/transport/types.js';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { sudoUser } from '../helpers/sudo-user.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-become-ssh-'));
chmodSync(dir, 0o777);
const account = sudoUser('runbook-become-ssh', `s3cret 'pw" $x`, join(dir, 'home'));
let sshd: Sshd;
const opened: Transport[] = [];

test.before(async () => {
  account.allow('nopasswd');
  sshd = await startSshd();
});

test.after(async () => {
  for (const t of opened) await t.close();
  await sshd?.stop();
  account.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** A shell logged in as the sudo user over SSH, with the connection's channel cap. */
async function login(maxSessions?: number): Promise<HostShell> {
  const { transport } = await openTransport(inventoryHost(sshd, 'target', { user: account.name }), {
    knownHostsFile: sshd.knownHosts,
    ...(maxSessions ? { maxSessions } : {}),
  });
  opened.push(transport);
  await transport.connect();
  return new HostShell(transport, account.name);
}

/** The pid of the shell a script ran in, and the user that shell runs as. */
const whichShell = sh`echo "$$ $(stat -c %U /proc/$$)"`;

/** Processes whose command line holds `marker`, as ps shows them (none: ''). */
function running(marker: string): string {
  return execFileSync('ps', ['-eo', 'pid,ppid,pgid,user,stat,args']).toString().split('\n').filter((line) => line.includes(marker)).join('\n');
}

test('stdin-less scripts as root run on one shell started through sudo', async () => {
  const root = (await login()).withBecome({ user: 'root' });
  const shells = new Set<string>();
  for (let i = 0; i < 20; i++) shells.add((await root.run(whichShell)).stdout.trim());
  assert.equal([...shells].map((s) => s.split(' ')[1]), ['root'], 'one shell, root');
  const [pid] = [...shells][0].split(' ');
  assert.is(execFileSync('ps', ['-o', 'user=', '-p', pid]).toString().trim(), 'root');
});

test('a script reports the same through the shell as through a sudo of its own', async () => {
  const root = (await login()).withBecome({ user: 'root' });
  const script = sh`id -un; echo "to stderr" >&2; printf 'no newline'; exit 3`;
  const shell = await root.execRaw(script);
  // With stdin a script takes a channel and a sudo of its own.
  const channel = await root.execRaw(sh`cat >/dev/null; ${script}`, { stdin: 'ignored\n' });
  assert.equal(shell, channel);
  assert.is(shell.stdout.toString(), 'root\nno newline');
  assert.is(shell.code, 3);
});

test('a timed-out script as root is killed with what it started, and the next one runs', async () => {
  const root = (await login()).withBecome({ user: 'root' });
  const before = (await root.run(whichShell)).stdout;
  for (const [marker, stdin] of [['sleep 611', undefined], ['sleep 612', 'x\n']] as const) {
    // A root process the script started: the login user could not signal it.
    // Long enough for the script to have started on a busy machine (a channel first needs a session).
    const err = await root.run(sh`sh -c ${`${marker}; :`} & wait`, { timeoutMs: 3000, ...(stdin ? { stdin } : {}) }).catch((e) => e);
    assert.match(String(err.message), /timed out after 3000 ms/);
    assert.ok(await waitFor(() => running(marker) === ''), `${marker} was stopped:\n${running(marker)}`);
  }
  const after = (await root.run(whichShell)).stdout;
  assert.is.not(after, before, 'a new shell took over from the one killed');
  assert.match(after, / root\n$/);
});

test('become another user: its own shell, as that user', async () => {
  const shell = await login();
  const asNobody = await shell.withBecome({ user: 'nobody' }).run(whichShell);
  const asRoot = await shell.withBecome({ user: 'root' }).run(whichShell);
  assert.match(asNobody.stdout, / nobody\n$/);
  assert.match(asRoot.stdout, / root\n$/);
  assert.is.not(asNobody.stdout.split(' ')[0], asRoot.stdout.split(' ')[0]);
  assert.is((await shell.run(sh`id -un`)).stdout.trim(), account.name, 'the login user is still itself');
});

test('with a password: sudo asks once, the shell runs as root, and no script sees it', async () => {
  account.allow('password');
  try {
    const root = (await login()).withBecome({ user: 'root', password: account.password });
    const first = (await root.run(whichShell)).stdout;
    assert.match(first, / root\n$/);
    assert.is((await root.run(whichShell)).stdout, first, 'the same shell');
    // What a script reads on stdin (nothing; its input on a channel) holds no password.
    assert.is((await root.run(sh`cat`)).stdout, '');
    assert.is((await root.run(sh`cat`, { stdin: 'payload\n' })).stdout, 'payload\n');
    const file = join(dir, 'written');
    await root.writeFile(file, 'content only\n', { mode: '0600' });
    assert.is((await root.run(sh`stat -c %U ${file}; cat ${file}`)).stdout, 'root\ncontent only\n');
  } finally {
    account.allow('nopasswd');
  }
});

test('a wrong password: a clear error, nothing run, the shell not asked for again', async () => {
  account.allow('password');
  try {
    const wrong = (await login()).withBecome({ user: 'root', password: 'wrong' });
    const marker = join(dir, 'must-not-exist');
    for (let i = 0; i < 2; i++) {
      const err = await wrong.run(sh`touch ${marker}`).catch((e) => e);
      assert.match(String(err.message), /become password was refused/);
      assert.not.match(String(err.message), /wrong/);
    }
    assert.not.ok(existsSync(marker));
  } finally {
    account.allow('nopasswd');
  }
});

test('with room for one channel besides the login shell, become takes a sudo per script', async () => {
  const root = (await login(2)).withBecome({ user: 'root' });
  const pids = new Set<string>();
  for (let i = 0; i < 3; i++) pids.add((await root.run(whichShell)).stdout);
  assert.is(pids.size, 3, 'a shell of its own each time');
  for (const p of pids) assert.match(p, / root\n$/);
  // A script with stdin still gets the one channel left.
  assert.is((await root.run(sh`cat`, { stdin: 'in\n' })).stdout, 'in\n');
});

test.run();
