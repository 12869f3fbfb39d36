import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderValue, renderTemplateFile, evaluateCondition, combineConditions } from '../../src/template/index.js';
import { loadInventory } from '../../src/load/inventory.js';
import { hostVars, resolveVarTemplates } from '../../src/load/vars.js';
import type { Runbook, SourcePos } from '../../src/model.js';
import type { UserError } from '../../src/errors.js';

const fixtures = resolve('test/fixtures/load');
const nowhere = { positions: {}, path: 'v' };
const vars = { a: { b: 1 }, list: [1, 2], role: 'kafka', zero: 0, no: 'false', empty: '', items: [] as unknown[], yes: 'yes' };
const pos: SourcePos = { file: '/nonexistent.yaml', line: 3, col: 11 };
const render = (s: string, v: Record<string, unknown> = vars) => renderValue(s, v, nowhere);
const emptyRunbook: Runbook = { file: '', hash: '', name: 't', hosts: 'all', strategy: 'linear', onFailure: 'stop', vars: {}, items: [], handlers: [], dir: '', templateDirs: [] };

function templateError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    return e as UserError;
  }
  throw new Error('no error');
}

test('a lone {{expr}} keeps its type; mixed text renders to a string', () => {
  assert.equal(render('{{ list }}'), [1, 2]);
  assert.is(render('{{ a.b }}'), 1);
  assert.is(render('n={{ a.b }}'), 'n=1');
  assert.is(render('{{ eq role "kafka" }}'), true);
  assert.is(render('no braces'), 'no braces');
  assert.equal(renderValue({ x: ['{{ a.b }}', 3], y: true }, vars, nowhere), { x: [1, 3], y: true });
});

test('strict: a missing variable is an error, also as a helper argument; default tolerates it', () => {
  assert.is(templateError(() => render('{{ nope }}')).message, 'undefined variable "nope"');
  assert.is(templateError(() => render('x {{ a.zz }}')).message, 'undefined variable "a.zz"');
  assert.is(templateError(() => render('{{ join nope "," }}')).message, 'undefined variable "nope"');
  assert.is(render('{{default maybe_missing "x"}}'), 'x');
  assert.is(render('{{default a.c.d "y"}}'), 'y');
  assert.is(render('{{default a.b "y"}}'), 1);
  assert.is(render('{{#if maybe}}set{{else}}unset{{/if}}'), 'unset');
});

test('helpers: join, eq/ne, and/or/not, gt/lt, to_json, indent', () => {
  assert.is(render('{{ join list "," }}'), '1,2');
  assert.is(render('{{#if (ne role "zk")}}y{{/if}}'), 'y');
  assert.is(render('{{ and role (not zero) }}'), true);
  assert.is(render('{{ or zero no empty }}'), false);
  assert.is(render('{{ gt a.b 0 }}|{{ lt a.b 0 }}'), 'true|false');
  assert.is(render('{{ to_json list }}'), '[1,2]');
  assert.is(render('{{indent 2 "a\nb"}}'), '  a\n  b');
  assert.is(render('{{#indent 4}}x\n\ny{{/indent}}'), '    x\n\n    y');
  assert.is(render('{{ eq a.b "1" }}'), true);
  assert.equal(render('{{ suffix mirrors "/k.tgz" }}', { mirrors: ['http://a', 'http://b/dist'] }), ['http://a/k.tgz', 'http://b/dist/k.tgz']);
  assert.throws(() => render('{{ suffix role "/x" }}'), /suffix: expected a list/);
  assert.equal(render('{{ suffix list (concat "/v" a.b "/" role) }}'), ['1/v1/kafka', '2/v1/kafka']);
});

test('group_hosts writes one server.N line per ensemble member, in inventory order', async () => {
  const inventory = await loadInventory(join(fixtures, 'inventory/hosts.ini'));
  const v = hostVars(emptyRunbook, inventory, 'kafka01', {});
  const out = renderValue('{{#each (group_hosts "kafka")}}server.{{this.myid}}={{this.name}}:2888:3888\n{{/each}}', v, nowhere);
  assert.is(out, 'server.1=kafka01:2888:3888\nserver.2=kafka02:2888:3888\nserver.3=kafka03:2888:3888\n');
  assert.is(renderValue('{{ hostvars.kafka02.ansible_host }}', v, nowhere), '10.0.0.12');
  const e = templateError(() => renderValue('{{ group_hosts "zookeper" }}', v, nowhere));
  assert.match(e.message, /no group "zookeper"/);
  // Any host pattern: the hosts it matches, with their vars (remove-broker names the rest this way).
  const ids = (pattern: string) => renderValue(`{{#each (group_hosts "${pattern}")}}{{name}}={{broker_id}} {{/each}}`, v, nowhere);
  assert.is(ids('kafka:!kafka02'), 'kafka01=1 kafka03=3 ');
  assert.is(ids('kafka0[13]'), 'kafka01=1 kafka03=3 ');
  assert.is(ids('kafka02'), 'kafka02=2 ');
  assert.is(ids('kafka:&nothing*'), '');
  // The names alone, as a list where the whole value is the expression (a task's list arg).
  assert.equal(renderValue('{{inventory_hostnames "kafka:!kafka02"}}', v, nowhere), ['kafka01', 'kafka03']);
  assert.match(templateError(() => renderValue('{{inventory_hostnames "kafak"}}', v, nowhere)).message, /inventory_hostnames: no group "kafak"/);
  assert.is(renderValue('{{#if (in "kafka" group_names)}}broker{{/if}}|{{in "nope" group_names}}|{{in 2 (inventory_hostnames "kafka")}}', v, nowhere), 'broker|false|false');
});

test('vars templated on vars: chains, lists and maps, types kept; what waits for a result stays; loops refused', () => {
  const out = resolveVarTemplates({ a: '{{b}}/x', b: '{{c}}', c: 'v', n: '{{m}}', m: 7, list: ['{{c}}', 1], map: { k: '{{a}}' }, later: '{{result.rc}}' });
  assert.equal(out, { a: 'v/x', b: 'v', c: 'v', n: 7, m: 7, list: ['v', 1], map: { k: 'v/x' }, later: '{{result.rc}}' });
  // A result is data: braces in a command's output are not a template.
  assert.equal(resolveVarTemplates({ out: { stdout: '{{c}}' }, c: 'v' }, new Set(['out'])), { out: { stdout: '{{c}}' }, c: 'v' });
  assert.throws(() => resolveVarTemplates({ a: '{{a}}/x' }), /var "a" refers to itself/);
  assert.throws(() => resolveVarTemplates({ a: '{{b}}', b: '{{a}}', c: 'fine' }), /vars "a", "b" refer to each other/);
  // The magic vars are the play's own: hostvars holds other hosts' values as written.
  const magic = { hostvars: { h2: { x: '{{y}}' } }, y: 1 };
  assert.is(resolveVarTemplates(magic), magic);
});

test('template files: rendered from the file, errors at the position in the file', async () => {
  const inventory = await loadInventory(join(fixtures, 'inventory/hosts.yaml'));
  const v = { ...hostVars(emptyRunbook, inventory, 'kafka01', {}), zk_data: '/var/zk' };
  const out = await renderTemplateFile(join(fixtures, 'project/templates/zoo.cfg.hbs'), v);
  assert.is(out, 'dataDir=/var/zk\nclientPort=2181\nserver.1=kafka01:2888:3888\nserver.2=kafka02:2888:3888\n');
  const broken = join(fixtures, 'project/templates/broken.hbs');
  try {
    await renderTemplateFile(broken, { ok: 1 });
    assert.unreachable('no error');
  } catch (e) {
    assert.is((e as UserError).message, 'undefined variable "missing_in_file"');
    assert.equal((e as UserError).pos, { file: broken, line: 2, col: 8 });
  }
});

test('template errors are located inside YAML scalars (plain, quoted, block)', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-tpl-'));
  try {
    const file = join(tmp, 'r.yaml');
    await writeFile(file, 'a: x {{ nope }}\nb: "y {{ nope }}"\nc: |\n  one\n    two {{ nope }}\nd: "{{ foo bar"\n');
    const positions = { a: { file, line: 1, col: 4 }, b: { file, line: 2, col: 4 }, c: { file, line: 3, col: 4 }, d: { file, line: 6, col: 4 } };
    const at = (path: keyof typeof positions, value: string) => templateError(() => renderValue(value, {}, { positions, path })).pos;
    assert.equal(at('a', 'x {{ nope }}'), { file, line: 1, col: 9 });
    assert.equal(at('b', 'y {{ nope }}'), { file, line: 2, col: 10 });
    assert.equal(at('c', 'one\n  two {{ nope }}\n'), { file, line: 5, col: 12 });
    const syntax = templateError(() => renderValue('{{ foo bar', {}, { positions, path: 'd' }));
    assert.match(syntax.message, /template syntax error/);
    assert.is(syntax.pos?.line, 6);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('evaluateCondition truth table', () => {
  const cases: [string | boolean, boolean][] = [
    [true, true],
    [false, false],
    ['eq role "kafka"', true],
    ['eq role "zk"', false],
    ['not (eq role "kafka")', false],
    ['{{ eq role "kafka" }}', true],
    ['a.b', true],
    ['zero', false],
    ['no', false],
    ['empty', false],
    ['items', false],
    ['yes', true],
    ['list', true],
    ['"0"', false],
    ['"false"', false],
    ['"False"', false],
    ["''", false],
    ['true', true],
    ['and a.b (eq role "kafka")', true],
    ['or zero empty', false],
    ['default maybe false', false],
    [combineConditions(['a.b', 'eq role "kafka"'])!, true],
    [combineConditions(['a.b', 'zero'])!, false],
  ];
  for (const [expr, want] of cases) assert.is(evaluateCondition(expr, vars, pos), want, String(expr));
});

test('a missing variable in a condition is an error at its column', () => {
  const e = templateError(() => evaluateCondition('eq nope 1', vars, pos));
  assert.is(e.message, 'undefined variable "nope"');
  assert.equal(e.pos, { file: pos.file, line: 3, col: 14 });
});

test.run();
