// Real sudo, real password: a throwaway user whose sudo rule requires its password runs
// scripts through HostShell with become root. Proves the password reaches sudo, never the
// command's stdin or a file, and that a wrong password fails clearly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throughSudo } from '../../src/transport/become.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecOptions, ExecResult } from '../../src/transport/types.js';
import { quote } from '../../src/shell/quote.js';
import { sudoUser } from '../helpers/sudo-user.js';

const password = `pa$$ 'w"ord`;
const dir = mkdtempSync(join(tmpdir(), 'runbook-become-'));
chmodSync(dir, 0o777);
const account = sudoUser('runbook-sudo-test', password, join(dir, 'home'));
const user = account.name;

/** Runs every script as the test user, as an SSH login as that user would: sudo, when asked for, runs as that user. */
class AsUser extends LocalTransport {
  override exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { become, ...asLogin } = options;
    const sudo = become ? throughSudo(become, script, options.stdin) : { script, stdin: options.stdin };
    return super.exec(`exec runuser -u ${quote(user)} -- /bin/sh -c ${quote(sudo.script)}`, { ...asLogin, stdin: sudo.stdin });
  }
}

test.before(() => account.allow('password'));

test.after(() => {
  account.remove();
  rmSync(dir, { recursive: true, force: true });
});

const login = new HostShell(new AsUser('sudo-host'), user);

test('without escalation the user is itself', async () => {
  assert.is((await login.run(['id', '-un'])).stdout.trim(), user);
});

test('become root with the password runs as root', async () => {
  const root = login.withBecome({ user: 'root', password });
  assert.is((await root.run(['id', '-u'])).stdout.trim(), '0');
});

test('the password never reaches the command stdin or a written file', async () => {
  const root = login.withBecome({ user: 'root', password });
  const echoed = await root.run(['cat'], { stdin: 'payload\n' });
  assert.is(echoed.stdout, 'payload\n');
  const target = join(dir, 'written');
  await root.writeFile(target, 'content only\n', { mode: '0600' });
  assert.is(readFileSync(target, 'utf8'), 'content only\n');
  assert.is((await root.run(['stat', '-c', '%U', target])).stdout.trim(), 'root');
  const empty = await root.run(['cat']);
  assert.is(empty.stdout, '', 'nothing left over on stdin');
});

test('when sudo does not ask (NOPASSWD), the password still stays out of stdin', async () => {
  account.allow('nopasswd');
  try {
    const root = login.withBecome({ user: 'root', password });
    assert.is((await root.run(['cat'], { stdin: 'payload\n' })).stdout, 'payload\n');
  } finally {
    account.allow('password');
  }
});

test('a wrong password fails with a clear message and runs nothing', async () => {
  const marker = join(dir, 'must-not-exist');
  const wrong = login.withBecome({ user: 'root', password: 'wrong' });
  const err = await wrong.run(['touch', marker]).catch((e) => e);
  assert.match(String(err.message), /become password was refused/);
  assert.not.ok(existsSync(marker));
  assert.not.match(String(err.message), /wrong/);
});

test('without a password sudo -n fails instead of hanging on a prompt', async () => {
  const err = await login.withBecome({ user: 'root' }).run(['true']).catch((e) => e);
  assert.match(String(err.message), /password is required|a password is required/);
});

test.run();
