// `runbook convert` proven on twin lab hosts: the playbook of test/fixtures/ansible-convert (23
// tasks, a role with defaults, handlers, an imported file, a block, a Jinja template, facts) is
// played by ansible-playbook over SSH on one host (python3 installed there for it) and, converted,
// by runbook on its twin; the two hosts must hold the same files (type, mode, owner, bytes, link
// targets) and both tools report the same changes, then none on a second run.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { CLI, onHost, useLab } from '../helpers/kafka-lab.js';
import { exec } from '../helpers/exec.js';

const NAME = 'convert';
const OUT = '/srv/convert-twin';
let lab: LabInfo;
let dir: string;

test.before(async () => {
  await labDown({ name: NAME });
  lab = await labUp({ hosts: 2, name: NAME });
  useLab(NAME, lab);
  dir = mkdtempSync(join(tmpdir(), 'runbook-convert-lab-'));
  cpSync(join(process.cwd(), 'test/fixtures/ansible-convert'), join(dir, 'ansible'), { recursive: true });
  // The fixture runs on localhost; here both tools reach their host over SSH.
  const site = join(dir, 'ansible', 'site.yml');
  writeFileSync(site, readFileSync(site, 'utf8').replace('  hosts: localhost\n  connection: local\n', '  hosts: all\n'));
  mkdirSync(join(dir, 'project', 'runbooks'), { recursive: true });
});

test.after(async () => {
  await labDown({ name: NAME });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const changedOf = (output: string) => Number(/changed=(\d+)/.exec(output)?.[1]);

/** Every path under OUT with its type, mode, owner, link target and content digest. */
const filesOn = (host: string) =>
  onHost(host, `cd ${OUT} && find . -mindepth 1 -printf '%P %y %m %u:%g %l\\n' | sort && find . -type f -exec sha256sum {} + | sort -k 2`);

test('the converted playbook on one host, the playbook on its twin: the same files, the same changes', async () => {
  const [ours, theirs] = lab.hosts.map((h) => h.name);
  await onHost(theirs, 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null');
  const project = join(dir, 'project');
  // This suite's project is the converted one (the helpers' own temp project is for the others).
  const inProject = { RUNBOOK_PROJECT: project };
  const converted = await exec(process.execPath, [CLI, 'convert', '../ansible/site.yml'], project, inProject);
  assert.is(converted.code, 0, converted.stdout + converted.stderr);

  const ansible = () =>
    exec('ansible-playbook', ['-i', lab.inventory, '--limit', theirs, 'site.yml', '-e', `out=${OUT}`], join(dir, 'ansible'), {
      ANSIBLE_NOCOLOR: '1',
      // Ansible's own defaults (one kept connection, pipelining) kept beside the lab's host keys.
      ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes`,
      ANSIBLE_PIPELINING: '1',
    });
  const runbook = () => exec(process.execPath, [CLI, 'play', 'runbooks/site.yaml', '-i', lab.inventory, '--limit', ours, '-e', `out=${OUT}`], project, inProject);
  for (const host of [ours, theirs]) await onHost(host, `mkdir -p ${OUT}`);
  const [a1, r1] = await Promise.all([ansible(), runbook()]);
  assert.is(a1.code, 0, a1.stdout + a1.stderr);
  assert.is(r1.code, 0, r1.stdout + r1.stderr);
  const [mine, twin] = [await filesOn(ours), await filesOn(theirs)];
  assert.is(mine, twin);
  assert.match(mine, /^app\.conf l 777 root:root \/srv\/convert-twin\/etc\/app\.conf$/m);
  assert.match(mine, /^etc\/app\.conf f 640 root:root $/m);
  assert.is(changedOf(r1.stdout), changedOf(a1.stdout), `${r1.stdout}\n${a1.stdout}`);
  const [a2, r2] = await Promise.all([ansible(), runbook()]);
  assert.is(changedOf(a2.stdout), 0, a2.stdout);
  assert.is(changedOf(r2.stdout), 0, r2.stdout);
});

test.run();
