import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { LocalTransport } from '../../src/transport/local.js';
import { tempFileBeside } from '../../src/transport/host.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-local-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('exec: stdout, stderr, exit code, stdin', async () => {
  const r = await new LocalTransport().exec('cat; echo err >&2; exit 7', { stdin: 'in' });
  assert.is(r.code, 7);
  assert.is(r.stdout.toString(), 'in');
  assert.is(r.stderr.toString(), 'err\n');
});

test('a command in flight dies with a controller killed by SIGKILL (no orphan writes after resume)', async () => {
  const marker = join(dir, 'orphan-ran');
  const controller = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', `
      import { LocalTransport } from ${JSON.stringify(new URL('../../src/transport/local.ts', import.meta.url).href)};
      new LocalTransport().exec(${JSON.stringify(`sleep 1; echo ran > '${marker}'`)});
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300);
    `],
    { stdio: 'ignore' },
  );
  await once(controller, 'exit');
  await new Promise((r) => setTimeout(r, 1500));
  assert.not.ok(existsSync(marker), 'the orphaned command did not run on');
});

test('a write in flight when the controller dies leaves neither the new file nor a temp file', async () => {
  const target = join(dir, 'target');
  const controller = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', `
      import { userInfo } from 'node:os';
      import { Readable } from 'node:stream';
      import { HostShell } from ${JSON.stringify(new URL('../../src/transport/host.ts', import.meta.url).href)};
      import { LocalTransport } from ${JSON.stringify(new URL('../../src/transport/local.ts', import.meta.url).href)};
      const shell = new HostShell(new LocalTransport(), userInfo().username);
      // A source that never ends: the write is in flight when the controller is killed.
      const endless = new Readable({ read() { this.push(Buffer.alloc(1024, 'x')); } });
      shell.writeFile(${JSON.stringify(target)}, endless);
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 500);
    `],
    { stdio: 'ignore' },
  );
  await once(controller, 'exit');
  await new Promise((r) => setTimeout(r, 500));
  assert.not.ok(existsSync(target));
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp')), []);
});

test('the temp file is removed when the script dies writing to a controller that is gone (SIGPIPE)', async () => {
  // The controller's end of the pipes closes before the parent-death signal arrives: a script
  // reporting an error then writes into a closed stderr.
  const script = `${tempFileBeside(join(dir, 'target'))}
sleep 0.3
echo 'the transfer was cut off' >&2
exit 1`;
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  child.stderr.destroy();
  const [code, signal] = await once(child, 'close');
  assert.equal([code, signal], [143, null], 'the script exits through its traps, not killed by SIGPIPE');
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp')), []);
});

test.run();
