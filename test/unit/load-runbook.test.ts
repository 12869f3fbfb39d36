import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadTaskRegistry, type TaskRegistry } from '../../src/task/registry.js';
import { loadRunbook } from '../../src/load/runbook.js';
import { openLibrary, type Library } from '../../src/project/library.js';
import { taskLayer } from '../helpers/layers.js';
import { loadInventory } from '../../src/load/inventory.js';
import { hostVars } from '../../src/load/vars.js';
import { planPlay } from '../../src/engine/plan.js';
import { resolveStepArgs } from '../../src/load/args.js';
import { formatUserError } from '../../src/load/format-error.js';
import { runbookJsonSchema } from '../../src/load/json-schema.js';
import { renderValue } from '../../src/template/index.js';
import { isUserError, type UserError } from '../../src/errors.js';
import type { StepDecl } from '../../src/model.js';

const fixtures = resolve('test/fixtures/load');
const projectDir = join(fixtures, 'project');
const errorsDir = join(projectDir, 'runbooks/errors');
let registry: TaskRegistry;
let library: Library;

test.before(async () => {
  registry = await loadTaskRegistry([taskLayer(join(fixtures, 'tasks'))]);
  library = await openLibrary(projectDir);
});

async function loadError(ref: string): Promise<UserError> {
  try {
    await loadRunbook(ref, { library, registry });
  } catch (e) {
    if (isUserError(e)) return e;
    throw e;
  }
  throw new Error(`${ref} loaded without error`);
}

function where(e: UserError): string {
  return `${e.pos?.file}:${e.pos?.line}:${e.pos?.col}`;
}

const steps = (items: { kind: string; step?: StepDecl }[]) => items.flatMap((i) => (i.kind === 'step' ? [i.step!] : []));

test('registry loads the fixture tasks and suggests near names', async () => {
  assert.equal(registry.names(), ['echo', 'run', 'write_file']);
  await registry.load(['echo']);
  assert.is(registry.get('echo')?.description, 'Fixture: says something');
  assert.is(registry.suggest('ecoh'), 'echo');
  assert.is(registry.suggest('apt_repository'), undefined);
});

test('YAML syntax error: file:line:col from the parser', async () => {
  const e = await loadError('errors/yaml-syntax');
  assert.is(e.kind, 'yaml');
  assert.is(where(e), `${errorsDir}/yaml-syntax.yaml:5:3`);
});

test('duplicate keys are errors at the second key', async () => {
  const e = await loadError('errors/dup-key');
  assert.is(e.message, 'YAML: duplicate key');
  assert.is(where(e), `${errorsDir}/dup-key.yaml:6:7`);
});

test('schema error in a step arg points at the value', async () => {
  const e = await loadError('errors/bad-arg');
  assert.is(e.kind, 'schema');
  assert.is(where(e), `${errorsDir}/bad-arg.yaml:7:13`);
  assert.match(e.message, /task "write_file" mode: mode must be octal digits/);
  assert.is(e.step, 'Write it');
});

test('unknown step key suggests the keyword', async () => {
  const e = await loadError('errors/unknown-key');
  assert.is(where(e), `${errorsDir}/unknown-key.yaml:5:5`);
  assert.is(e.message, 'unknown step keyword "whne"');
  assert.is(e.hint, 'did you mean "when"?');
});

test('unknown tasks: every one reported, each with a suggestion', async () => {
  const e = (await loadError('errors/unknown-task')) as UserError & { errors: UserError[] };
  assert.is(e.errors.length, 2);
  assert.is(where(e.errors[0]), `${errorsDir}/unknown-task.yaml:4:5`);
  assert.is(e.errors[0].message, 'unknown task "ecko"');
  assert.is(e.errors[0].hint, 'did you mean "echo"?');
  assert.is(where(e.errors[1]), `${errorsDir}/unknown-task.yaml:6:5`);
  assert.is(e.errors[1].hint, 'did you mean "write_file"?');
  const text = formatUserError(e);
  assert.ok(text.includes('test/fixtures/load/project/runbooks/errors/unknown-task.yaml:4:5: unknown task "ecko"'), text);
  assert.ok(text.includes('4 |     ecko: { msg: hi }\n  |     ^\nhint: did you mean "echo"?'), text);
});

test('a step with two task keys names them', async () => {
  const e = await loadError('errors/two-tasks');
  assert.is(where(e), `${errorsDir}/two-tasks.yaml:5:5`);
  assert.match(e.message, /exactly one task.*echo, run/);
});

test('include cycle: the chain in the message, located at the include', async () => {
  const e = await loadError('errors/cycle-a');
  assert.is(e.message, 'include cycle: cycle-a.yaml → cycle-b.yaml → cycle-a.yaml');
  assert.is(where(e), `${errorsDir}/cycle-b.yaml:5:14`);
});

test('an unknown runbook name suggests the nearest', async () => {
  const e = await loadError('sites');
  assert.is(e.kind, 'not-found');
  assert.is(e.hint, 'did you mean "site"?');
});

test('missing template variable: named, at file:line:col inside the string', async () => {
  const rb = await loadRunbook('errors/missing-var', { library, registry });
  const inventory = await loadInventory(undefined);
  const [greet, block] = steps(rb.items);
  const vars = hostVars(rb, inventory, 'localhost', {});
  const fail = (step: StepDecl) => {
    try {
      resolveStepArgs(step, vars, registry);
    } catch (e) {
      return e as UserError;
    }
    throw new Error('no error');
  };
  const e1 = fail(greet);
  assert.is(e1.kind, 'template');
  assert.is(e1.message, 'undefined variable "nobody_set_this"');
  assert.is(where(e1), `${errorsDir}/missing-var.yaml:5:22`);
  const e2 = fail(block);
  assert.is(e2.message, 'undefined variable "port_missing"');
  assert.is(where(e2), `${errorsDir}/missing-var.yaml:11:17`);
});

test('missing required var: at its declaration, naming the host and the step', async () => {
  const rb = await loadRunbook('errors/needs-token', { library, registry });
  const inventory = await loadInventory(undefined);
  const plan = (extraVars: Record<string, unknown>) => planPlay({ runbook: rb, inventory, registry, extraVars, tags: { only: [], skip: [] } });
  const err = (await plan({}).catch((e: unknown) => e)) as UserError;
  assert.ok(isUserError(err), String(err));
  assert.is(err.kind, 'vars');
  assert.is(err.message, 'required var "token" is not set');
  assert.is(err.host, 'localhost');
  assert.is(err.step, 'Use it');
  assert.is(where(err), `${errorsDir}/needs-token.yaml:3:3`);
  await plan({ token: 's3cret' });
});

test("a var an included runbook requires: checked on the hosts its steps run on, not on the others'", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-required-'));
  try {
    await mkdir(join(dir, 'runbooks'));
    const write = (name: string, text: string) => writeFile(join(dir, 'runbooks', `${name}.yaml`), text);
    await write('site', 'hosts: zookeeper:kafka\nsteps:\n  - include: zk\n  - include: broker\n');
    await write('zk', 'hosts: zookeeper\nvars:\n  myid: { type: number, required: true }\nsteps:\n  - name: Id\n    echo: { msg: "id {{myid}}" }\n');
    await write('broker', 'hosts: kafka\nvars:\n  broker_id: { type: number, required: true }\nsteps:\n  - name: Id\n    echo: { msg: "id {{broker_id}}" }\n');
    // ZooKeeper and Kafka on hosts of their own: no host has both ids.
    await writeFile(join(dir, 'inv.yaml'), 'all:\n  children:\n    zookeeper:\n      hosts: { zk1: { myid: 1 } }\n    kafka:\n      hosts: { k1: { broker_id: 1 }, k2: {} }\n');
    const rb = await loadRunbook('site', { library: await openLibrary(dir), registry });
    const inventory = await loadInventory(join(dir, 'inv.yaml'));
    const err = (await planPlay({ runbook: rb, inventory, registry, extraVars: {}, tags: { only: [], skip: [] } }).catch((e: unknown) => e)) as UserError;
    assert.ok(isUserError(err), String(err));
    assert.is(err.message, 'required var "broker_id" is not set');
    assert.is(err.host, 'k2', 'zk1 has no broker_id and is not asked for one');
    await planPlay({ runbook: rb, inventory, registry, extraVars: {}, tags: { only: [], skip: [] }, limit: 'zk1:k1' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('includes: ids, scope, hosts, when, tags, markers and handlers', async () => {
  const rb = await loadRunbook('site', { library, registry });
  assert.is(rb.name, 'site');
  assert.is(rb.dir, join(projectDir, 'runbooks'));
  assert.equal(rb.items.map((i) => i.kind), ['step', 'step', 'step', 'checkpoint', 'flush_handlers', 'step']);
  const [hello, configure, runZk, write] = steps(rb.items);
  assert.is(hello.id, 'site.yaml#1:Say hello');
  assert.equal(hello.scope, {});
  assert.is(configure.id, 'site.yaml#2/zk.yaml#1:Configure zk');
  assert.equal(configure.scope, { zk_port: 2281, zk_dir: '/opt/zk', zk_id: '{{ myid }}' });
  // The include's hosts narrow every step it brings in.
  assert.is(configure.hosts, 'all');
  assert.equal(configure.within, ['zookeeper']);
  assert.equal(configure.positions['within.0'], { file: join(projectDir, 'runbooks/site.yaml'), line: 21, col: 12 });
  assert.equal(configure.tags, ['zk']);
  assert.is(configure.when, 'and (eq role "zk") (__value zk_enabled)');
  assert.is(runZk.when, 'eq role "zk"');
  assert.is(configure.pos.file, join(projectDir, 'runbooks/zk.yaml'));
  assert.equal(configure.positions['scope.zk_id'], { file: join(projectDir, 'runbooks/site.yaml'), line: 25, col: 14 });
  assert.equal(configure.positions['args.path'], { file: join(projectDir, 'runbooks/zk.yaml'), line: 11, col: 13 });
  assert.is(runZk.undo?.[0].id, 'site.yaml#2/zk.yaml#2:Run zk/undo#1:Stop zk');
  assert.equal(rb.items[3], { kind: 'checkpoint', name: 'zookeeper-installed', pos: { file: rb.file, line: 27, col: 5 } });
  assert.equal(write.notify, ['restart']);
  assert.is(write.loopVar, 'h');
  assert.is(write.hosts, 'all');
  assert.is(rb.handlers[0].id, 'site.yaml/handlers#1:restart');
  assert.equal(rb.handlers[0].listen, ['restart all']);
  assert.is(rb.vars.token.required, true);
  assert.is(rb.vars.token.secret, true);
  assert.is(rb.vars.heap.type, 'string');
  assert.is(rb.vars.zk_port.type, 'number');
  assert.match(hello.hash, /^[0-9a-f]{64}$/);
  assert.is.not(configure.hash, runZk.hash);
  const again = await loadRunbook(join(projectDir, 'runbooks/site.yaml'), { library, registry });
  assert.is(again.hash, rb.hash);
  assert.is(steps(again.items)[1].hash, configure.hash);
});

test('include vars render per host through renderValue at their own position', async () => {
  const rb = await loadRunbook('site', { library, registry });
  const inventory = await loadInventory(join(fixtures, 'inventory/hosts.yaml'));
  const configure = steps(rb.items)[1];
  const vars = hostVars(rb, inventory, 'kafka02', { token: 't' }, configure.scope);
  assert.is(renderValue(configure.scope.zk_id, vars, { positions: configure.positions, path: 'scope.zk_id' }), 2);
  const args = resolveStepArgs(configure, { ...vars, zk_dir: '/srv/zk' }, registry);
  assert.equal(args, { path: '/srv/zk/zoo.cfg', content: 'port=2281' });
  const write = steps(rb.items)[3];
  assert.equal(renderValue(write.loop, vars, { positions: write.positions, path: 'loop' }), ['local1', 'kafka01', 'kafka02']);
});

test('templated args are checked per host, at the arg', async () => {
  const rb = await loadRunbook('site', { library, registry });
  const inventory = await loadInventory(undefined);
  const write = steps(rb.items)[3];
  const bad = { ...write, args: { ...(write.args as object), mode: '{{ mode }}' } };
  try {
    resolveStepArgs(bad, { ...hostVars(rb, inventory, 'localhost', { token: 't' }), mode: 'rwx' }, registry);
    assert.unreachable('no error');
  } catch (e) {
    assert.is((e as UserError).kind, 'schema');
    assert.equal((e as UserError).pos, write.positions['args.mode']);
    assert.is((e as UserError).host, 'localhost');
  }
});

test('var precedence: runbook < include vars < all < parent group < child group < host < extra', async () => {
  const rb = await loadRunbook('errors/precedence', { library, registry });
  const [show] = steps(rb.items);
  assert.equal(show.scope, { inner_default: 'inner', from_scope: 'include', level: 'include' });
  const none = await loadInventory(undefined);
  let v = hostVars(rb, none, 'localhost', {}, show.scope);
  assert.is(v.level, 'include');
  assert.is(v.from_runbook, 'runbook');
  assert.is(v.from_scope, 'include');
  assert.is(v.inner_default, 'inner');
  const ini = await loadInventory(join(fixtures, 'inventory/hosts.ini'));
  assert.is(hostVars(rb, ini, 'bastion', {}, show.scope).level, 'all');
  assert.is(hostVars(rb, ini, 'zk1', {}, show.scope).level, 'cluster');
  assert.is(hostVars(rb, ini, 'kafka02', {}, show.scope).level, 'kafka');
  v = hostVars(rb, { ...ini, hosts: new Map([...ini.hosts].map(([n, h]) => [n, { ...h, vars: { ...h.vars, level: 'host' } }])) }, 'kafka02', {}, show.scope);
  assert.is(v.level, 'host');
  v = hostVars(rb, ini, 'kafka02', { level: 'extra' }, show.scope);
  assert.is(v.level, 'extra');
  assert.is(v.inventory_hostname, 'kafka02');
  assert.equal(v.group_names, ['cluster', 'brokers', 'kafka']);
  assert.equal((v.groups as Record<string, string[]>).brokers, ['kafka01', 'kafka02', 'kafka03']);
  assert.is((v.hostvars as Record<string, { broker_id: number }>).kafka03.broker_id, 3);
});

test('throttle: a positive count on steps and handlers, in the JSON schema too', async () => {
  const rb = await loadRunbook('throttle', { library, registry });
  assert.is(rb.handlers[0].throttle, 1);
  assert.is(steps(rb.items)[0].throttle, undefined);
  const e = await loadError('errors/bad-throttle');
  assert.is(e.kind, 'schema');
  assert.is(where(e), `${errorsDir}/bad-throttle.yaml:4:15`);
  await registry.load(registry.keys());
  const schema = runbookJsonSchema(registry) as { $defs: Record<string, { oneOf?: { properties?: Record<string, unknown> }[] }> };
  assert.ok(schema.$defs.step.oneOf!.some((b) => b.properties?.throttle));
});

test('timeout: positive seconds, read onto the step; anything else is an error at the value', async () => {
  const rb = await loadRunbook('throttle', { library, registry });
  assert.is(steps(rb.items)[0].timeout, 2.5);
  assert.is(rb.handlers[0].timeout, undefined);
  const e = await loadError('errors/bad-timeout');
  assert.is(e.kind, 'schema');
  assert.is(where(e), `${errorsDir}/bad-timeout.yaml:4:14`);
});

test('JSON schema: a step is one task (with its args schema), an include, a block of steps, a checkpoint or flush_handlers', async () => {
  await registry.load(registry.keys());
  const schema = runbookJsonSchema(registry) as { $schema: string; $defs: Record<string, { oneOf?: { properties?: Record<string, unknown>; required?: string[] }[] }>; properties: Record<string, unknown> };
  assert.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  for (const name of registry.names()) {
    assert.ok(schema.$defs[`task.${name}`], name);
    const branch = schema.$defs.step.oneOf!.find((b) => b.required?.includes(name));
    assert.ok(branch?.properties?.when, `${name} step has the common keywords`);
    assert.equal(branch?.properties?.[name], { $ref: `#/$defs/task.${name}` });
  }
  // The args mapping, or Ansible's key=value text.
  const writeFile = schema.$defs['task.write_file'] as unknown as { anyOf: [{ required: string[] }, { type: string }] };
  assert.equal(writeFile.anyOf[0].required, ['path', 'content']);
  assert.is(writeFile.anyOf[1].type, 'string');
  const kinds = schema.$defs.step.oneOf!.flatMap((b) => b.required ?? []);
  for (const k of ['include', 'block', 'checkpoint', 'flush_handlers']) assert.ok(kinds.includes(k), k);
  const block = schema.$defs.step.oneOf!.find((b) => b.required?.includes('block'))!;
  for (const part of ['block', 'rescue', 'always']) assert.equal((block.properties![part] as { items: unknown }).items, { $ref: '#/$defs/step' }, part);
  assert.ok(schema.properties.steps);
  JSON.stringify(schema);
});

test('formatUserError prints file:line:col, the line, a caret and the hint', async () => {
  const e = await loadError('errors/unknown-key');
  assert.is(
    formatUserError(e),
    [
      'test/fixtures/load/project/runbooks/errors/unknown-key.yaml:5:5: unknown step keyword "whne" (step "Say")',
      '5 |     whne: true',
      '  |     ^',
      'hint: did you mean "when"?',
    ].join('\n'),
  );
});

test("an include's undo: steps: a group its steps (and handlers) name, with the include's vars, without its when; a bad one is an error at its key", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-undo-group-'));
  try {
    await mkdir(join(dir, 'runbooks'));
    const write = (name: string, text: string) => writeFile(join(dir, 'runbooks', `${name}.yaml`), text);
    await write(
      'top',
      'hosts: kafka\nsteps:\n  - include: conf\n    name: Conf\n    when: eq phase.stdout "zk"\n    vars: { mode: migrating }\n    undo:\n      - name: Roll\n        throttle: 1\n        echo: { msg: "{{mode}}" }\n  - name: After\n    echo: { msg: done }\n',
    );
    await write('conf', 'vars:\n  mode: { type: string, default: zk }\nsteps:\n  - name: Write\n    echo: { msg: "{{mode}}" }\n    notify: again\nhandlers:\n  - name: again\n    echo: { msg: again }\n');
    const rb = await loadRunbook('top', { library: await openLibrary(dir), registry });
    const [inside, after] = steps(rb.items);
    assert.equal([...(rb.undoGroups?.keys() ?? [])], ['top.yaml#1']);
    const group = rb.undoGroups!.get('top.yaml#1')!;
    assert.is(group.name, 'Conf');
    assert.equal(group.steps.map((s) => [s.id, s.throttle, s.when, s.scope.mode]), [['top.yaml#1/undo#1:Roll', 1, undefined, 'migrating']]);
    assert.equal(inside.undoGroups, ['top.yaml#1']);
    assert.equal(rb.handlers[0].undoGroups, ['top.yaml#1'], 'a handler the include brings in is part of it');
    assert.is(after.undoGroups, undefined);

    await write('top', 'hosts: kafka\nsteps:\n  - include: conf\n    undo:\n      - name: Roll\n        echo: { msg: hi }\n        retires: 3\n');
    const err = (await loadRunbook('top', { library: await openLibrary(dir), registry }).catch((e: unknown) => e)) as UserError;
    assert.ok(isUserError(err), String(err));
    assert.equal([err.pos?.line, err.pos?.col], [7, 9]);
    assert.match(err.message, /retires/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an included runbook runs only on the including runbook's hosts and the include's own, at any depth", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-hosts-'));
  try {
    await mkdir(join(dir, 'runbooks'));
    const write = (name: string, text: string) => writeFile(join(dir, 'runbooks', `${name}.yaml`), text);
    await write('top', 'hosts: zookeeper:kafka\nsteps:\n  - include: every\n  - include: middle\n    hosts: "{{new}}"\n');
    await write('middle', 'hosts: kafka\nsteps:\n  - include: every\n');
    await write('every', 'hosts: all\nsteps:\n  - name: Say\n    echo: { msg: hi }\n  - name: Say on zookeeper\n    hosts: zookeeper\n    echo: { msg: hi }\n');
    const rb = await loadRunbook('top', { library: await openLibrary(dir), registry });
    const hosts = steps(rb.items).map((s) => `${s.hosts} within ${(s.within ?? []).join(' ')}`);
    assert.equal(hosts, [
      'all within zookeeper:kafka',
      'zookeeper within zookeeper:kafka',
      'all within zookeeper:kafka {{new}} kafka',
      'zookeeper within zookeeper:kafka {{new}} kafka',
    ]);
    assert.equal(steps(rb.items)[2].positions['within.1'], { file: join(dir, 'runbooks/top.yaml'), line: 5, col: 12 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
