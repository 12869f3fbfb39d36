// Every argument of every shipped task says what it is for: `runbook doc <task>` prints it as a
// table, and a team's task written the same way documents itself the same way.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { shippedLayer } from '../../src/project/library.js';
import { loadTaskRegistry } from '../../src/task/registry.js';
import { argRows, formatArgTable } from '../../src/ui/args-table.js';

test('every shipped task argument has a description, a type and its default', async () => {
  const registry = await loadTaskRegistry([shippedLayer()]);
  await registry.load(registry.keys());
  const undocumented: string[] = [];
  for (const name of registry.names()) {
    const rows = argRows(registry.get(name)!.args);
    for (const row of rows) {
      if (!row.description) undocumented.push(`${name}.${row.name}`);
      assert.is.not(row.type, 'any', `${name}.${row.name} has a type`);
    }
  }
  assert.equal(undocumented, []);
});

test('the table: required marked, enums and unions spelled out, defaults as JSON, long descriptions wrapped', () => {
  const args = z
    .object({
      path: z.string().describe('the file'),
      state: z.enum(['present', 'absent']).default('present').describe('what should be true of it'),
      names: z.union([z.string(), z.array(z.string())]).optional().describe('one name or several'),
      mode: z.union([z.string(), z.number().int()]).optional().describe('a long description '.repeat(8).trim()),
    })
    .strict()
    .refine((a) => a.path !== '', 'not empty');
  const rows = argRows(args);
  assert.equal(
    rows.map((r) => [r.name, r.type, r.required, r.default]),
    [
      ['path', 'string', true, undefined],
      ['state', '"present" | "absent"', false, '"present"'],
      ['names', 'string | list of string', false, undefined],
      ['mode', 'string | integer', false, undefined],
    ],
  );
  const lines = formatArgTable(rows, 80);
  assert.match(lines[0], /^\s+argument\s+type\s+default\s+description$/);
  assert.match(lines[1], /^\s+path \*\s+string\s+the file$/);
  assert.ok(lines.every((l) => l.length <= 80), lines.join('\n'));
  const continued = lines.slice(lines.findIndex((l) => /^\s+mode\s/.test(l)) + 1, -2);
  assert.ok(continued.length >= 1 && continued.every((l) => /^ {20,}\S/.test(l)), `the long description continues on indented lines:\n${lines.join('\n')}`);
});

test.run();
