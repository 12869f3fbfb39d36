import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, root, runbook } from './helpers.js';

let project: string;
let out: string;

test.before(async () => {
  await ensureBuilt();
  project = await mkdtemp(join(tmpdir(), 'runbook-cli-'));
  out = join(project, 'out');
  await mkdir(join(project, 'runbooks', 'templates'), { recursive: true });
  await mkdir(out);
  await writeFile(join(project, 'local.yaml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  await writeFile(join(project, 'runbooks', 'templates', 'a.conf.hbs'), 'port={{port}}\nhost={{inventory_hostname}}\n');
  await writeFile(join(project, 'runbooks', 'templates', 'b.conf.hbs'), 'name={{name}}\nlines:\n{{#each items}}- {{this}}\n{{/each}}');
  await writeFile(
    join(project, 'runbooks', 'site.yaml'),
    `name: site
description: two config files from templates
vars:
  out: { type: string, required: true }
  port: 2181
  name: demo
  items: [one, two, three]
steps:
  - name: Write a.conf
    template:
      src: templates/a.conf.hbs
      dest: "{{out}}/a.conf"
  - name: Write b.conf
    template:
      src: templates/b.conf.hbs
      dest: "{{out}}/b.conf"
`,
  );
});

test.after(async () => {
  await rm(project, { recursive: true, force: true });
});

const site = () => ['site', '-e', `out=${out}`];

test('start-up: main.js statically loads commander and nothing else from node_modules', async () => {
  // The CLI is bundled: what a file holds is read from its source map.
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1];
      if (pkg) packages.add(pkg);
    }
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      if (m[1].startsWith('.')) await visit(join(file, '..', m[1]));
      else if (!m[1].startsWith('node:')) packages.add(m[1]);
    }
  };
  await visit(join(root, 'dist', 'cli', 'main.js'));
  assert.ok(seen.size > 1, 'main.js imports its chunks');
  assert.equal([...packages], ['commander']);
});

test('runbook --help lists the commands and the exit codes', async () => {
  const r = await runbook(['--help'], project);
  assert.is(r.code, 0);
  for (const cmd of ['play', 'validate', 'show', 'list', 'doc', 'schema']) assert.match(r.stdout, new RegExp(`\\n  ${cmd}\\b`));
  assert.match(r.stdout, /99 +interrupted/);
  const play = await runbook(['play', '--help'], project);
  assert.match(play.stdout, /--check/);
  assert.match(play.stdout, /250 +internal error/);
});

test('first play changes, second changes nothing, --check --diff shows exactly a hand edit and changes nothing', async () => {
  const first = await runbook(['play', ...site()], project);
  assert.is(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /changed: \[localhost\] Write a\.conf/);
  assert.match(first.stdout, /localhost\s*: ok=2 changed=2 unreachable=0 failed=0/);
  assert.is(await readFile(join(out, 'a.conf'), 'utf8'), 'port=2181\nhost=localhost\n');
  assert.is(await readFile(join(out, 'b.conf'), 'utf8'), 'name=demo\nlines:\n- one\n- two\n- three\n');

  const second = await runbook(['play', ...site()], project);
  assert.is(second.code, 0, second.stderr);
  assert.match(second.stdout, /ok: \[localhost\] Write a\.conf/);
  assert.match(second.stdout, /localhost\s*: ok=2 changed=0/);

  const edited = 'name=demo\nlines:\n- one\n- TWO by hand\n- three\n';
  await writeFile(join(out, 'b.conf'), edited);
  const check = await runbook(['play', ...site(), '--check', '--diff'], project);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /check mode/);
  assert.match(check.stdout, /ok: \[localhost\] Write a\.conf/);
  assert.match(check.stdout, /changed: \[localhost\] Write b\.conf/);
  const diffLines = check.stdout.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
  assert.equal(diffLines, ['-- TWO by hand', '+- two']);
  assert.match(check.stdout, /localhost\s*: ok=2 changed=1/);
  assert.is(await readFile(join(out, 'b.conf'), 'utf8'), edited);

  const json = await runbook(['play', ...site(), '--check', '--json'], project);
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(events[0].type, 'run-start');
  assert.is(events.at(-1).type, 'run-end');
  assert.equal(
    events.filter((e) => e.type === 'host-result').map((e) => `${e.stepName}:${e.status}`),
    ['Write a.conf:ok', 'Write b.conf:changed'],
  );
});

const bad: Record<string, { yaml: string; where: RegExp; message: RegExp }> = {
  'a YAML error': { yaml: 'name: broken\nsteps:\n  - name: x\n    template: { src: a, dest: [unclosed\n', where: /bad\.yaml:\d+:\d+/, message: /./ },
  'a schema error': {
    yaml: `name: s\nsteps:\n  - name: x\n    becomee: true\n    template: { src: templates/a.conf.hbs, dest: /tmp/x }\n`,
    where: /bad\.yaml:4:5/,
    message: /becomee/,
  },
  'an unknown task': { yaml: `name: s\nsteps:\n  - name: x\n    templat: { src: a, dest: b }\n`, where: /bad\.yaml:4:5/, message: /template/ },
  'a missing template variable': {
    yaml: `name: s\nsteps:\n  - name: x\n    template:\n      src: templates/a.conf.hbs\n      dest: "{{out}}/{{nope}}"\n`,
    where: /bad\.yaml:6:\d+/,
    message: /nope/,
  },
};

for (const [what, c] of Object.entries(bad)) {
  test(`${what}: file:line:col, non-zero exit, nothing run`, async () => {
    await writeFile(join(project, 'runbooks', 'bad.yaml'), c.yaml);
    const runsBefore = await readdir(join(project, '.runbook', 'runs')).catch(() => []);
    const r = await runbook(['play', 'bad', '-e', `out=${out}`], project);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, c.where);
    assert.match(r.stderr, c.message);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace for a user error');
    assert.not.match(r.stdout, /PLAY|changed|ok:/);
    assert.equal(await readdir(join(project, '.runbook', 'runs')).catch(() => []), runsBefore, 'no run was started');
    const v = await runbook(['validate', 'bad', '-i', 'local.yaml', '-e', `out=${out}`], project);
    assert.is(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stderr, c.where);
    await rm(join(project, 'runbooks', 'bad.yaml'));
  });
}

test('validate passes a good runbook; list and doc describe runbooks and tasks', async () => {
  const v = await runbook(['validate', 'site', '-i', 'local.yaml', '-e', `out=${out}`], project);
  assert.is(v.code, 0, v.stderr);
  const l = await runbook(['list'], project);
  assert.is(l.code, 0, l.stderr);
  assert.match(l.stdout, /site\s+project\s+two config files from templates/);
  assert.match(l.stdout, /template\s+runbook \(shipped\)\s+Render/);
  const d = await runbook(['doc', 'template'], project);
  assert.is(d.code, 0, d.stderr);
  assert.match(d.stdout, /^\s+src \*\s+string\s+\S/m);
  const unknown = await runbook(['doc', 'templat'], project);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /template/);
});

test('an Ansible INI inventory: show lists the right hosts with the right vars', async () => {
  await writeFile(
    join(project, 'hosts.ini'),
    `[zookeeper]
zk1 ansible_host=10.0.0.1 myid=1
zk2 ansible_host=10.0.0.2 myid=2

[kafka]
k1 ansible_host=10.0.0.3 ansible_user=admin broker_id=7

[cluster:children]
zookeeper
kafka

[cluster:vars]
cluster_name=prod

[kafka:vars]
heap=1g

[other]
lonely
`,
  );
  await writeFile(
    join(project, 'runbooks', 'cluster.yaml'),
    `name: cluster
hosts: cluster
vars:
  out: /tmp
  port: 1
  db_password: { type: string, secret: true, default: hunter2-secret }
steps:
  - name: Config
    template: { src: templates/a.conf.hbs, dest: "{{out}}/{{cluster_name}}-{{inventory_hostname}}.conf" }
  - name: Secret file
    copy: { content: "password={{db_password}}", dest: "{{out}}/secret-{{inventory_hostname}}" }
`,
  );
  const r = await runbook(['show', 'cluster', '-i', 'hosts.ini'], project);
  assert.is(r.code, 0, r.stderr);
  const sections = Object.fromEntries(
    r.stdout
      .split(/\n(?=HOST )/)
      .slice(1)
      .map((s) => [s.match(/^HOST (\S+)/)![1], s]),
  );
  assert.equal(Object.keys(sections), ['zk1', 'zk2', 'k1']);
  assert.match(sections.zk1, /ssh 10\.0\.0\.1/);
  assert.match(sections.k1, /ssh admin@10\.0\.0\.3/);
  assert.match(sections.zk1, /myid: "?1"?/);
  assert.match(sections.k1, /broker_id: "?7"?/);
  assert.match(sections.k1, /heap: "1g"/);
  assert.not.match(sections.zk1, /heap/);
  for (const h of ['zk1', 'zk2', 'k1']) assert.match(sections[h], /cluster_name: "prod"/);
  assert.match(sections.k1, /groups: .*kafka/);
  assert.match(sections.k1, /"dest":"\/tmp\/prod-k1\.conf"/);
  assert.not.ok(existsSync('/tmp/prod-k1.conf'));
  assert.not.match(r.stdout, /hunter2/);
  assert.match(sections.k1, /db_password: "\*{8}"/);
  assert.match(sections.k1, /password=\*{8}/);
});

test.run();
