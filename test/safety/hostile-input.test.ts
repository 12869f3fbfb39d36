// Safety (low): hostile input files are the user's error (exit 1 with a position), never a crash.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBuilt, runbook } from '../cli/helpers.js';

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

test.run();
