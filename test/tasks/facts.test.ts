// facts: what Ansible's setup gathers that runbooks use (OS, init, arch, memory, CPUs), from
// this machine; read-only.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import facts from '../../tasks/facts.js';
import { check } from '../helpers/task-harness.js';

test('facts: registers OS, init, arch, memory and CPUs; changes nothing', async () => {
  const r = await check(facts, undefined);
  assert.ok(r.inSync);
  const d = r.data as { os: { id: string }; cpus: number; memoryMb: number; arch: string };
  assert.is(d.os.id, 'debian');
  assert.ok(d.cpus >= 1 && d.memoryMb > 0 && d.arch.length > 0);
});

test.run();
