// systemd_unit: a unit file written only once systemd-analyze verify accepts it (and the manual's typo caught).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import systemdUnit, { lintUnit, verifyErrors } from '../../tasks/systemd_unit.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { check, cleanup, hostileValues, tempDir } from '../helpers/task-harness.js';

// seeds/003's kafka.service, typo included.
const manualUnit = `[Unit]
Requires=zookeeper.service
After=zookeeper.service

[Service]
Type=simple
User=ubuntu
ExecStart=/bin/sh -c '/home/ubuntu/kafka/bin/kafka-server-start.sh /home/ubuntu/kafka/config/server.properties > /home/ubuntu/kafka/kafka.log 2>&1'
ExecStop=/home/ubuntu/kafka/bin/kafka-server-stop.sh
Restart=on-abnormal

[Install]
WantedBy=multi-user.targe
`;

test('lint catches the manual\'s WantedBy=multi-user.targe and suggests the fix', () => {
  const problems = lintUnit(manualUnit, '/etc/systemd/system/kafka.service');
  assert.equal(problems, ['/etc/systemd/system/kafka.service:13: WantedBy=multi-user.targe is not a unit name (unknown suffix .targe); did you mean multi-user.target?']);
  assert.equal(lintUnit(manualUnit.replace('.targe\n', '.target\n'), 'k'), []);
  assert.equal(lintUnit('Description=x\n', 'k'), ['k:1: setting outside of any [Section]']);
});

test('verify output: only lines about the file text count', () => {
  // Captured from systemd-analyze verify (systemd 252, Debian 12).
  const out = `/tmp/sv/kafka.service:7: Unknown key 'Typo' in section [Service], ignoring.
kafka.service: Failed to create kafka.service/start: Unit zookeeper.service not found.
kafka.service: Command /opt/kafka/bin/kafka-server-start.sh is not executable: No such file or directory`;
  assert.equal(verifyErrors(out, '/tmp/sv/kafka.service'), [`/tmp/sv/kafka.service:7: Unknown key 'Typo' in section [Service], ignoring.`]);
});

// check only probes and runs systemd-analyze verify on a temp copy: read-only, so it runs here.
test('check (for real, systemd-analyze verify on this machine): a typo fails, an unknown key fails, a good unit would be created', async () => {
  const name = 'runbook-test-never-written.service';
  await check(systemdUnit, { name, content: manualUnit }).then(
    () => assert.unreachable('the typo must fail'),
    (e: Error) => assert.match(e.message, /WantedBy=multi-user.targe is not a unit name/),
  );
  await check(systemdUnit, { name, content: manualUnit.replace('.targe\n', '.target\n').replace('Type=simple', 'Typo=simple') }).then(
    () => assert.unreachable('an unknown key must fail'),
    (e: Error) => assert.match(e.message, new RegExp(`/etc/systemd/system/${name}:6: Unknown key 'Typo'`)),
  );
  const good = await check(systemdUnit, { name, content: manualUnit.replace('.targe\n', '.target\n') });
  assert.is(good.inSync, false);
  assert.is(good.summary, `create /etc/systemd/system/${name}`);
  assert.is(good.diff![0].after, manualUnit.replace('.targe\n', '.target\n'));
});

test('args: a unit name without suffix becomes .service; hostile names are refused', () => {
  assert.is(systemdUnit.args.parse({ name: 'kafka', content: '' }).name, 'kafka.service');
  assert.is(systemdUnit.args.parse({ name: 'kafka.socket', content: '' }).name, 'kafka.socket');
  assert.not.ok(systemdUnit.args.safeParse({ name: 'x$(touch /tmp/pwned).service', content: '' }).success);
  assert.not.ok(systemdUnit.args.safeParse({ name: 'x', content: 'a', src: 'b' }).success);
});

test('hostile values: unit text is data (verified, never run)', async () => {
  const canary = join(tempDir(), 'pwned');
  for (const v of hostileValues(canary)) {
    const content = `[Unit]\nDescription=${v.replace(/\n/g, ' ')}\n\n[Service]\nExecStart=/bin/true\n`;
    const r = await check(systemdUnit, { name: 'runbook-test-never-written', content });
    assert.is(r.diff![0].after, content);
  }
  assert.not.ok(existsSync(canary));
});

test.after(cleanup);
test.run();
