// Jinja to handlebars (src/convert/jinja.ts), checked against Jinja itself: each template is
// rendered by python3's jinja2 (Debian's, the one ansible-core uses, with Ansible's trim_blocks)
// and by our engine after translation, and the bytes must be equal. What cannot be translated is
// an error at its offset.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JinjaError, translateCondition } from '../../src/convert/jinja.js';
import { translateText } from '../../src/convert/jinja-text.js';
import { evaluateCondition, renderTemplateFile } from '../../src/template/index.js';

const VARS = {
  name: 'kafka',
  port: 9092,
  enabled: true,
  off: false,
  empty: '',
  count: '12',
  flag: 'yes',
  servers: ['a', 'b', 'c'],
  users: [
    { name: 'ann', admin: true },
    { name: 'bob', admin: false },
  ],
  limits: { nofile: 100000, nproc: 4096 },
  result: { changed: true, failed: false, skipped: false, rc: 0, stdout: 'ok' },
  group_names: ['kafka', 'zookeeper'],
  nested: { inner: { value: 'deep' } },
};

function jinja(template: string): string {
  const py = `import sys, json, jinja2
env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
# Ansible's own tests and filters (ansible/plugins/test/core.py, filter/core.py), as it defines them
env.tests.update(changed=lambda r: bool(r.get('changed')), failed=lambda r: bool(r.get('failed')), succeeded=lambda r: not r.get('failed'), skipped=lambda r: bool(r.get('skipped')))
env.filters.update(bool=lambda v: v is True or str(v).strip().lower() in ('yes', 'on', 'true', '1'), to_json=json.dumps)
# As Ansible's template module: rendered without the last newline, then padded to the newlines the source ends with
source = sys.stdin.read()
out = env.from_string(source).render(json.loads(sys.argv[1]))
count = lambda t: len(t) - len(t.rstrip('\\n'))
sys.stdout.write(out + '\\n' * max(0, count(source) - count(out)))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(VARS)], { input: template, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), 'runbook-jinja-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
async function ours(template: string): Promise<string> {
  const file = join(dir, `t${files++}.hbs`);
  writeFileSync(file, translateText(template, { file: true }).text);
  return renderTemplateFile(file, VARS);
}

const TEMPLATES: Record<string, string> = {
  'values and filters': 'name={{ name }} port={{port}}\nupper={{ name | upper }} lower={{ "ABC" | lower }} n={{ count | int }}\nlist={{ servers | join(",") }} none={{ servers | join }}\nd={{ missing | default("fallback") }} e={{ empty | default("x", true) }} len={{ servers | length }}\n',
  'if, elif, else on their own lines': '{% if off %}\noff\n{% elif port == 9092 %}\nport\n{% else %}\nelse\n{% endif %}\nafter\n',
  'an indented block tag and a blank line after it': 'a:\n  {% if enabled %}\n  on: yes\n  {% endif %}\n\nb\n',
  'for over a list, with loop.first and loop.last': '{% for s in servers %}\nserver.{{ loop.index0 }}={{ s }}{% if not loop.last %},{% endif %}\n{% endfor %}\nend\n',
  'for over a map and over dicts': '{% for k, v in limits.items() %}\n{{ k }} {{ v }}\n{% endfor %}\n{% for u in users %}{% if u.admin %}{{ u.name }} is admin{% endif %}\n{% endfor %}',
  'inline blocks, whitespace control and comments': 'x {% if enabled %}on{% endif %} y\n{# a comment #}\nlist: {%- for s in servers %} {{ s }}{% endfor -%}\n  \nz\n',
  'tests and operators': '{{ missing is defined }} {{ name is defined }} {{ result is changed }} {{ result is succeeded }} {{ "kafka" in group_names }} {{ "web" not in group_names }} {{ port >= 9092 }} {{ port < 10 }} {{ name ~ "-" ~ port }} {{ nested.inner.value }} {{ nested["inner"]["value"] }} {{ servers[1] }}\n',
  'literal braces in raw': '{% raw %}{{ not a var }}{% endraw %}\n',
  'a block tag before the last newlines': '{% if enabled %}yes{% else %}no{% endif %}\n\n',
  'a value before the last newline': 'port={{ port }}\n',
};

for (const [title, template] of Object.entries(TEMPLATES)) {
  test(`template renders as Jinja does: ${title}`, async () => {
    assert.is(await ours(template), jinja(template));
  });
}

test('conditions: a bare expression or one in braces, evaluated as Jinja evaluates it', () => {
  const cases = ['enabled and not off', 'port == 9092 or off', "name == 'kafka'", '"kafka" in group_names', 'missing is not defined', 'servers | length > 2', 'result is changed and result.rc == 0', 'flag | bool', '{{ off }}', 'port in [9092, 9093]'];
  for (const expr of cases) {
    const expected = jinja(`{{ (${expr.replace(/^\{\{|\}\}$/g, '')}) | string }}`) === 'True';
    const { text } = translateCondition(expr);
    assert.is(evaluateCondition(text, VARS, { file: 'x', line: 1, col: 1 }), expected, `${expr} -> ${text}`);
  }
});

test('facts: ansible_os_family and ansible_facts["os_family"] read the gathered facts', () => {
  const a = translateCondition("ansible_facts['os_family'] == 'Debian'");
  assert.equal(a, { text: 'eq ansible_facts.os_family "Debian"', usesFacts: true });
  assert.equal(translateCondition('ansible_os_family == "Debian"'), a);
  assert.is(translateCondition('port == 1').usesFacts, false);
});

test('what is not translated is an error at its offset, never a guess', () => {
  const at = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.instance(e, JinjaError);
      return [(e as JinjaError).message, (e as JinjaError).offset] as const;
    }
    throw new Error('no error');
  };
  assert.equal(at(() => translateCondition('x | regex_replace("a", "b")')), ['cannot translate the filter "regex_replace"', 4]);
  assert.equal(at(() => translateCondition('lookup("env", "HOME")')), ['cannot translate lookup(...)', 0]);
  assert.equal(at(() => translateCondition('a + 1')), ['cannot translate arithmetic ("+")', 2]);
  assert.equal(at(() => translateCondition('"a" if x else "b"')), ['cannot translate an inline if (x if c else y) here', 4]);
  assert.equal(at(() => translateText('a\n{% set x = 1 %}\n', { file: true })), ['cannot translate the statement "set"', 2]);
  assert.equal(at(() => translateText('{% if x %}\nno end\n', { file: true })), ['"if" without its "endif"', 0]);
  assert.equal(at(() => translateText('{% for s in servers %}{{ loop.index }}{% endfor %}', { file: true })), ['cannot translate loop.index (loop.index0, loop.first and loop.last are)', 30]);
});

test.run();
