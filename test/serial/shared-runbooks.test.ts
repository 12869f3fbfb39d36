// runbook as a team gets it: packed with npm, installed into a prefix of its own, used from a
// fresh ops repository made by `runbook init`, with a runbook package made by `runbook init
// --package` installed beside it with npm. The team runbook includes our shipped zookeeper
// runbook with the team's own zoo.cfg.hbs, and the package's motd runbook and task; it is played
// on a lab host: the override is used, the rest is ours, and a second play changes nothing.

import { test } from 'uvu';
import { exec, show, type Result } from '../helpers/exec.js';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labSshArgs, labUp, type LabInfo } from '../../src/lab/index.js';

const NAME = 'shared';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let lab: LabInfo;
let work: string;
let cli: string;
let ops: string;




async function ok(cmd: string, args: string[], cwd: string): Promise<Result> {
  const r = await exec(cmd, args, cwd);
  assert.is(r.code, 0, `${cmd} ${args.join(' ')}: ${show(r)}`);
  return r;
}

const npm = (args: string[], cwd: string) => ok('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], cwd);

async function onHost(command: string): Promise<string> {
  const r = await exec('ssh', await labSshArgs('kafka01', [command], NAME), ROOT);
  assert.is(r.code, 0, `ssh kafka01 ${command}: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'runbook-shared-'));
  // The tasks are compiled into the user's cache: a fresh one, as on a new machine.
  process.env.XDG_CACHE_HOME = join(work, 'cache');
  await ok(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], ROOT);
  await npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  const [tarball] = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  await npm(['install', '--global', '--prefix', join(work, 'prefix'), join(work, tarball)], work);
  cli = join(work, 'prefix', 'bin', 'runbook');
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 1, name: NAME });
});

test.after(async () => {
  await labDown({ name: NAME });
  rmSync(work, { recursive: true, force: true });
});

test('the installed package ships what it needs and not the tests', async () => {
  const installed = join(work, 'prefix', 'lib', 'node_modules', 'runbook');
  const top = readdirSync(installed).sort();
  for (const wanted of ['README.md', 'dist', 'inventory', 'package.json', 'runbooks', 'tasks']) assert.ok(top.includes(wanted), `${wanted} in ${top}`);
  assert.not.ok(top.includes('test'), 'the tests are not shipped');
  assert.ok(readdirSync(join(installed, 'src', 'lab', 'assets')).includes('zookeeper'), 'the lab assets are shipped');
  const version = await ok(cli, ['--version'], work);
  assert.is(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

test('init makes an ops repository and a package; npm installs the package into the repository', async () => {
  ops = join(work, 'ops');
  await ok(cli, ['init', ops], work);
  await ok(cli, ['init', '--package', join(work, 'acme-kafka')], work);
  // A package.json further up (a home directory's) must not take the install: ops has its own.
  writeFileSync(join(work, 'package.json'), '{ "private": true }\n');
  await npm(['install', '../acme-kafka'], ops);
  assert.ok(existsSync(join(ops, 'node_modules', 'acme-kafka', 'package.json')), 'installed into the ops repository');
  const projectFile = readFileSync(join(ops, 'runbook.yaml'), 'utf8');
  writeFileSync(join(ops, 'runbook.yaml'), projectFile.replace(/^# packages: .*$/m, 'packages: [acme-kafka]'));
  const shipped = readFileSync(join(work, 'prefix/lib/node_modules/runbook/runbooks/templates/zoo.cfg.hbs'), 'utf8');
  writeFileSync(join(ops, 'runbooks/templates/zoo.cfg.hbs'), `# the team's zoo.cfg\n${shipped}autopurge.snapRetainCount=5\n`);
  writeFileSync(
    join(ops, 'runbooks/site.yaml'),
    `name: site
description: ZooKeeper as the team runs it, and a message of the day
steps:
  - include: zookeeper
  - include: motd
    hosts: zookeeper
    vars: { motd_owner: the data team }
`,
  );
  const list = await ok(cli, ['list'], ops);
  assert.match(list.stdout, /^\s+site\s+project\s+ZooKeeper as the team runs it/m);
  assert.match(list.stdout, /^\s+motd\s+acme-kafka\s+The message of the day/m);
  assert.match(list.stdout, /^\s+zookeeper\s+runbook \(shipped\)/m);
  assert.match(list.stdout, /^\s+motd\s+acme-kafka\s+Set the message of the day/m);
  assert.match(list.stdout, /zoo\.cfg\.hbs\s+runbooks\/templates\/zoo\.cfg\.hbs\s+instead of .*runbook\/runbooks\/templates\/zoo\.cfg\.hbs/);
  const doc = await ok(cli, ['doc', 'motd'], ops);
  assert.match(doc.stdout, /^\s+text \*\s+string\s+the whole message/m);
});

test('played on a lab host from the ops repository: the team template, our runbook, the package task; then nothing to change', async () => {
  const first = await exec(cli, ['play', 'site', '-i', lab.inventory], ops);
  assert.is(first.code, 0, show(first));
  const zooCfg = await onHost('cat /home/kafka/zookeeper/conf/zoo.cfg');
  assert.match(zooCfg, /^# the team's zoo\.cfg$/m);
  assert.match(zooCfg, /^autopurge\.snapRetainCount=5$/m);
  assert.match(zooCfg, /^server\.1=kafka01:2888:3888/m, 'rendered with our vars');
  assert.match(await onHost('cat /etc/systemd/system/zookeeper.service'), /ExecStart=/, 'our unit template');
  assert.is(await onHost('cat /etc/motd'), 'kafka01 belongs to the data team\n');
  const again = await exec(cli, ['play', 'site', '-i', lab.inventory], ops);
  assert.is(again.code, 0, show(again));
  assert.match(again.stdout, /kafka01\s*:\s*ok=\d+\s+changed=0\b/, show(again));
});

test.run();
