// Safety (low): over SSH, a command does not outlive a controller killed with SIGKILL. Without a
// terminal sshd sends no hangup, so a command left running would finish after `runbook resume`
// ran it (or an undo: block) again. A real sshd, a real controller process, a real kill -9.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inventoryHost, startSshd, type Sshd } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

let sshd: Sshd;
let dir: string;

test.before(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'runbook-ssh-orphans-'));
});

test.after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const src = (path: string) => JSON.stringify(new URL(`../../${path}`, import.meta.url).href);

test('a command of a controller killed with SIGKILL dies with the SSH session and never finishes', async () => {
  const started = join(dir, 'started');
  const marker = join(dir, 'ran');
  const controller = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', `
      import { existsSync } from 'node:fs';
      import { raw } from ${src('src/api.ts')};
      import { openTransport } from ${src('src/transport/connect.ts')};
      import { HostShell } from ${src('src/transport/host.ts')};
      import { runCommand } from ${src('src/sdk/command.ts')};
      const { transport, loginUser } = await openTransport(${JSON.stringify(inventoryHost(sshd))}, { knownHostsFile: ${JSON.stringify(sshd.knownHosts)} });
      const shell = new HostShell(transport, loginUser);
      runCommand(shell, raw(${JSON.stringify(`echo $$ > '${started}.tmp'; mv '${started}.tmp' '${started}'; sleep 60; echo ran > '${marker}'`)}), {}, new AbortController().signal);
      setInterval(() => existsSync(${JSON.stringify(started)}) && process.kill(process.pid, 'SIGKILL'), 10);
    `],
    { stdio: 'ignore' },
  );
  await once(controller, 'exit');
  const pid = Number(readFileSync(started, 'utf8'));
  assert.ok(await waitFor(() => !existsSync(`/proc/${pid}`), 45_000), `the command (pid ${pid}) outlived its controller`);
  assert.not.ok(existsSync(marker));
});

test.run();
