// service: systemctl's state read (systemctl show) and the verbs planned from it; hostile unit
// names refused. (Against a real systemd: the systasks-lab suite.)

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import service, { enablement, isActive, parseShow, plan } from '../../tasks/service.js';
import { cleanup, hostileValues, tempDir } from '../helpers/task-harness.js';

test('service: parse systemctl show and plan the verbs', () => {
  const stopped = parseShow('LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n');
  assert.equal(stopped, { LoadState: 'loaded', ActiveState: 'inactive', UnitFileState: 'disabled' });
  assert.equal(plan({ state: 'started', enabled: true }, stopped), ['start', 'enable']);
  const running = parseShow('LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n');
  assert.ok(isActive(running));
  assert.is(enablement(running), true);
  assert.equal(plan({ state: 'started', enabled: true }, running), []);
  assert.equal(plan({ state: 'restarted' }, running), ['restart'], 'restarted always acts');
  assert.equal(plan({ state: 'stopped', enabled: false }, running), ['stop', 'disable']);
  assert.equal(plan({ state: 'reloaded' }, stopped), ['start']);
  assert.equal(plan({ enabled: true }, parseShow('LoadState=loaded\nActiveState=inactive\nUnitFileState=static\n')), [], 'a static unit cannot be enabled');
});

test('hostile unit names are refused by the schema', () => {
  const canary = join(tempDir(), 'pwned');
  for (const v of hostileValues(canary)) {
    assert.not.ok(service.args.safeParse({ name: v, state: 'started' }).success);
  }
  assert.not.ok(existsSync(canary));
});

test.after(cleanup);
test.run();
