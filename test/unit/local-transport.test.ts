import { test } from 'uvu';
import { waitFor } from '../helpers/wait.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { LocalTransport } from '../../src/transport/local.js';
import { tempBeside } from '../../src/transport/host.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-local-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('exec: stdout, stderr, exit code, stdin', async () => {
  const r = await new LocalTransport().exec('cat; echo err >&2; exit 7', { stdin: 'in' });
  assert.is(r.code, 7);
  assert.is(r.stdout.toString(), 'in');
  assert.is(r.stderr.toString(), 'err\n');
});


const alive = (pid: number) => existsSync(`/proc/${pid}`);

test('a command in flight dies with a controller killed by SIGKILL (no orphan writes after resume)', async () => {
  const marker = join(dir, 'orphan-ran');
  const started = join(dir, 'orphan-started');
  // The controller is killed once the command has started; the command would write after 1 s.
  const controller = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', `
      import { existsSync } from 'node:fs';
      import { LocalTransport } from ${JSON.stringify(new URL('../../src/transport/local.ts', import.meta.url).href)};
      new LocalTransport().exec(${JSON.stringify(`echo $$ > '${started}.tmp'; mv '${started}.tmp' '${started}'; sleep 1; echo ran > '${marker}'`)});
      setInterval(() => existsSync(${JSON.stringify(started)}) && process.kill(process.pid, 'SIGKILL'), 10);
    `],
    { stdio: 'ignore' },
  );
  await once(controller, 'exit');
  const pid = Number(readFileSync(started, 'utf8'));
  assert.ok(await waitFor(() => !alive(pid)), 'the command outlived its controller');
  assert.not.ok(existsSync(marker), 'the orphaned command did not run on');
});

test('a write in flight when the controller dies leaves neither the new file nor a temp file', async () => {
  const target = join(dir, 'target');
  const temps = () => readdirSync(dir).filter((n) => n.startsWith('.runbook-tmp'));
  const controller = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', `
      import { readdirSync } from 'node:fs';
      import { userInfo } from 'node:os';
      import { Readable } from 'node:stream';
      import { HostShell } from ${JSON.stringify(new URL('../../src/transport/host.ts', import.meta.url).href)};
      import { LocalTransport } from ${JSON.stringify(new URL('../../src/transport/local.ts', import.meta.url).href)};
      const shell = new HostShell(new LocalTransport(), userInfo().username);
      // A source that never ends: the write is in flight when the controller is killed.
      const endless = new Readable({ read() { this.push(Buffer.alloc(1024, 'x')); } });
      shell.writeFile(${JSON.stringify(target)}, { stream: endless, size: 2 ** 40 });
      setInterval(() => readdirSync(${JSON.stringify(dir)}).some((n) => n.startsWith('.runbook-tmp')) && process.kill(process.pid, 'SIGKILL'), 10);
    `],
    { stdio: 'ignore' },
  );
  await once(controller, 'exit');
  assert.ok(await waitFor(() => temps().length === 0), `temp file left behind: ${temps()}`);
  assert.not.ok(existsSync(target));
});

test('the temp file is removed when the script dies writing to a controller that is gone (SIGPIPE)', async () => {
  // The controller's end of the pipes closes before the parent-death signal arrives: a script
  // reporting an error then writes into a closed stderr.
  const script = `${tempBeside(join(dir, 'target'))}
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
