// Checks as data: every task that declares a probe is replayed here from fixtures
// (test/fixtures/probes/<task>.json): the probe's recorded output in, the check's decision out,
// on a host that refuses every command, so a decision that reads beyond its probe fails. As
// pyinfra's tests/facts: a probe's format or a decision that changes shows here first.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTaskRegistry } from '../../src/task/registry.js';
import { shippedLayer } from '../../src/project/library.js';
import { HostShell } from '../../src/transport/host.js';
import type { ExecResult, Transport } from '../../src/transport/types.js';
import { FIXTURE_DIR, loadTask, withRoot, type ProbeCase } from '../fixtures/probes/cases.js';
import { context } from '../helpers/task-harness.js';

/** A host where nothing runs: a check that reads past its probe says so. */
class NoHost implements Transport {
  readonly host = 'fixture';
  async connect(): Promise<void> {}
  async exec(script: string): Promise<ExecResult> {
    throw new Error(`the check read the host beyond its probe: ${script.slice(0, 120)}`);
  }
  async openTcp(): Promise<Duplex> {
    throw new Error('the check opened a connection beyond its probe');
  }
  async close(): Promise<void> {}
}

const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

test('every task that declares a probe has fixtures', async () => {
  const registry = await loadTaskRegistry([shippedLayer()]);
  await registry.load(registry.keys());
  const probing = registry.names().filter((name) => registry.get(name)!.probe);
  assert.equal(probing.filter((name) => !fixtures.includes(name)), [], 'tasks with a probe and no fixtures');
  assert.ok(probing.length >= 25, `${probing.length} tasks declare a probe`);
});

for (const name of fixtures) {
  const cases = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as ProbeCase[];
  for (const c of cases) {
    test(`${name}: ${c.case}`, async () => {
      const task = await loadTask(name);
      const ctx = { ...context(task, withRoot(c.args), { checkMode: c.checkMode, vars: c.vars, runbookDir: FIXTURE_DIR }), shell: new HostShell(new NoHost(), 'root') };
      assert.ok(task.probe?.(ctx), 'the task declares a probe for this call');
      const expect = withRoot(c.expect);
      let decided;
      try {
        decided = await task.check(ctx, withRoot(c.probed));
      } catch (e) {
        if (expect.error === undefined) throw e;
        assert.match((e as Error).message, new RegExp(expect.error));
        return;
      }
      assert.is(expect.error, undefined, `expected an error matching ${expect.error}`);
      const got = {
        inSync: decided.inSync,
        ...(expect.summary !== undefined ? { summary: decided.summary } : {}),
        ...(expect.unknowableInCheck !== undefined ? { unknowableInCheck: decided.unknowableInCheck !== undefined } : {}),
        ...(expect.data !== undefined ? { data: Object.fromEntries(Object.keys(expect.data).map((k) => [k, decided.data?.[k]])) } : {}),
      };
      assert.equal(got, expect);
    });
  }
}

test.run();
