// Safety (low): hostile or damaged input is the user's error (exit 1, naming the file and place),
// never a crash, a hang, a leak or a silent misreading: YAML alias bombs, huge host ranges, damaged
// journals, vars named like Object's own properties, terminal escapes in remote output, secrets in
// a process list, multi-line become passwords, paths that look like options, reused pids.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { processStart } from '../../src/journal/lock.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import file from '../../tasks/file.js';
import shell from '../../tasks/shell.js';
import sshKeygen from '../../tasks/ssh_keygen.js';
import waitForTask from '../../tasks/wait_for.js';
import { ensureBuilt, runbook } from '../cli/helpers.js';
import { caught } from '../helpers/caught.js';
import { context, converge } from '../helpers/task-harness.js';

let dir: string;
test.before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'runbook-hostile-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a YAML alias bomb in a runbook is bad input (exit 1, file:line:col), not an internal error', async () => {
  const level = (name: string, of: string) => `  ${name}: &${name} [${Array(9).fill(`*${of}`).join(',')}]`;
  const yaml = ['name: bomb', 'vars:', '  a: &a [x,x,x,x,x,x,x,x,x]', level('b', 'a'), level('c', 'b'), level('d', 'c'), level('e', 'd'), level('f', 'e'), 'steps: []', ''].join('\n');
  writeFileSync(join(dir, 'bomb.yaml'), yaml);
  const r = await runbook(['validate', join(dir, 'bomb.yaml')], dir);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /bomb\.yaml:\d+:\d+: YAML: Excessive alias count/);
});


/** A project with one runbook, in a fresh directory. */
function project(name: string, yaml: string): string {
  const p = mkdtempSync(join(dir, 'p-'));
  mkdirSync(join(p, 'runbooks'));
  writeFileSync(join(p, 'runbooks', `${name}.yaml`), yaml);
  return p;
}

test('a host range of fifty million hosts is refused at once, with its position', async () => {
  writeFileSync(join(dir, 'huge.ini'), '[kafka]\nh[1:50000000]\n');
  const p = project('noop', 'name: noop\nsteps: []\n');
  const r = await runbook(['validate', 'noop', '-i', join(dir, 'huge.ini')], p);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /huge\.ini:2:1: host range h\[1:50000000\] names 50000000 hosts; at most 10000/);
});

test('a damaged run header is listed as damaged and refused with its file name, not a stack', async () => {
  const p = project('one', `name: one\nsteps:\n  - name: f\n    copy: { dest: ${dir}/one.txt, content: "1" }\n`);
  assert.is((await runbook(['play', 'one'], p)).code, 0);
  const [id] = readdirSync(join(p, '.runbook', 'runs'));
  writeFileSync(join(p, '.runbook', 'runs', id, 'header.json'), '{"broken');
  const runs = await runbook(['runs'], p);
  assert.is(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, new RegExp(`${id} .*DAMAGED .*header\\.json is damaged`));
  for (const args of [['rollback', id], ['runs', 'show', id], ['resume', id]]) {
    const r = await runbook(args, p);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /header\.json is damaged/);
  }
});

test('vars named constructor or toString are vars like any other; an undefined one is named', async () => {
  const p = project('proto', `name: proto\nvars:\n  constructor: one\nsteps:\n  - name: f\n    copy: { dest: ${dir}/proto.txt, content: "{{constructor}} {{toString}}" }\n`);
  const missing = await runbook(['play', 'proto'], p);
  assert.is(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /proto\.yaml:6:\d+: undefined variable "toString"/);
  assert.not.match(missing.stderr, /Handlebars/);
  const given = await runbook(['play', 'proto', '-e', 'toString=two'], p);
  assert.is(given.code, 0, given.stderr + given.stdout);
  assert.is(readFileSync(join(dir, 'proto.txt'), 'utf8'), 'one two');
});

test('terminal escapes in remote output are shown escaped, never sent raw to the terminal', async () => {
  const p = project('esc', `name: esc\nsteps:\n  - name: noisy\n    shell: { cmd: "printf 'a\\\\033]0;pwned\\\\007\\\\033[2J b' >&2; exit 1" }\n`);
  const r = await runbook(['play', 'esc'], p);
  assert.is(r.code, 2, r.stderr);
  assert.not.ok(r.stdout.includes('\x1b') || r.stdout.includes('\x07'), JSON.stringify(r.stdout));
  assert.match(r.stdout, /a\\x1b\]0;pwned\\x07\\x1b\[2J b/);
});

test("ssh_keygen's passphrase never appears in a command line", async () => {
  const d = mkdtempSync(join(dir, 'keygen-'));
  mkdirSync(join(d, 'bin'));
  writeFileSync(join(d, 'bin', 'ssh-keygen'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${d}/argv'\nexec /usr/bin/ssh-keygen "$@"\n`, { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${d}/bin:${saved}`;
  try {
    await converge(sshKeygen, { path: `${d}/id`, type: 'ed25519', passphrase: 'Secret-Phrase-99' });
  } finally {
    process.env.PATH = saved;
  }
  assert.ok(existsSync(join(d, 'argv')), 'the shim ran');
  assert.not.match(readFileSync(join(d, 'argv'), 'utf8'), /Secret-Phrase-99/);
  execFileSync('ssh-keygen', ['-y', '-P', 'Secret-Phrase-99', '-f', `${d}/id`], { stdio: 'ignore' });
});

test('a become password with a line break is refused before anything reaches sudo', async () => {
  const shell = new HostShell(new LocalTransport('local'), userInfo().username, { user: 'nobody', password: 'first\nid > /tmp/x' });
  const e = await caught(shell.run(['true']));
  assert.match(e.message, /become password contains a line break/);
});

test('a wait_for host that looks like an option is refused before it reaches nc', () => {
  assert.throws(() => waitForTask.args.parse({ host: '-e/bin/sh', port: 22 }), /cannot start with -/);
});

test('paths that look like options stay paths', async () => {
  const d = mkdtempSync(join(dir, 'dash-'));
  const cwd = process.cwd();
  process.chdir(d);
  try {
    await converge(file, { path: '-R', state: 'touch', mode: '0600' });
    await converge(file, { path: '--version', state: 'directory', mode: '0700' });
  } finally {
    process.chdir(cwd);
  }
  assert.ok(existsSync(join(d, '-R')) && existsSync(join(d, '--version')));
});

test('a lock held by a pid that now belongs to another process is taken over, not waited on', async () => {
  const p = project('locked', 'name: locked\nsteps: []\n');
  mkdirSync(join(p, '.runbook'), { recursive: true });
  // pid 1 is alive, but it is not the process that took this lock (its start time differs).
  writeFileSync(join(p, '.runbook', 'lock'), JSON.stringify({ pid: 1, runId: 'old-run', start: (processStart(1) ?? 0) + 12345 }));
  const r = await runbook(['play', 'locked'], p);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /taking over a stale lock of old-run/);
});

test('100 MB of command output is capped on the host: the first and last 2 MiB come back, and the controller stays small', async () => {
  const before = process.memoryUsage().rss;
  const applied = await shell.apply(context(shell, { cmd: "head -c 104857600 /dev/zero | tr '\\0' x; echo; echo the-end; echo err >&2" }), undefined);
  const data = (applied as { data: Record<string, unknown> }).data;
  const stdout = data['stdout'] as string;
  assert.ok(stdout.length < 5 * 1024 * 1024, `${stdout.length} bytes kept`);
  assert.match(stdout, /\[\.\.\. runbook left out 100663305 bytes of this output: it keeps the first and last 2097152 bytes \.\.\.\]/);
  assert.ok(stdout.startsWith('xxxx') && stdout.endsWith('the-end'));
  assert.is(data['stderr'], 'err');
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 200, `the controller grew by ${grown.toFixed(0)} MiB`);
});

test.run();
