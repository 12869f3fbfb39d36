import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aptArgs, aptProbe, cacheAge, checkApt as decide, diffDpkgLists, parseDpkgList, parseSimulation } from '../../tasks/apt.js';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';

// Captured from `LC_ALL=C apt-get -s ...` on Debian 12.
const upgradeAndInstall = `Reading package lists...
Building dependency tree...
Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])
Inst openjdk-17-jdk [17.0.15+6-1~deb12u1] (17.0.19+10-1~deb12u2 Debian:12.15/oldstable [amd64]) []
Inst tree (2.1.0-1 Debian:12.15/oldstable [amd64])
Conf tree (2.1.0-1 Debian:12.15/oldstable [amd64])`;
const removal = `The following packages will be REMOVED:
  openssh-client openssh-server openssh-sftp-server
0 upgraded, 0 newly installed, 3 to remove and 105 not upgraded.
Remv openssh-server [1:9.2p1-2+deb12u10]
Remv openssh-sftp-server [1:9.2p1-2+deb12u10]
Remv openssh-client [1:9.2p1-2+deb12u10]`;

test('parseSimulation tells new installs from upgrades and removals', () => {
  const sim = parseSimulation(upgradeAndInstall);
  assert.equal(sim.installs, [{ name: 'tree', to: '2.1.0-1' }]);
  assert.equal(sim.upgrades.map((p) => [p.name, p.from, p.to]), [
    ['base-files', '12.4+deb12u11', '12.4+deb12u15'],
    ['openjdk-17-jdk', '17.0.15+6-1~deb12u1', '17.0.19+10-1~deb12u2'],
  ]);
  assert.equal(parseSimulation(removal).removals, [
    { name: 'openssh-server', from: '1:9.2p1-2+deb12u10' },
    { name: 'openssh-sftp-server', from: '1:9.2p1-2+deb12u10' },
    { name: 'openssh-client', from: '1:9.2p1-2+deb12u10' },
  ]);
});

test('diffDpkgLists: newly installed (purge when unknown before), removed, upgraded', () => {
  const before = parseDpkgList('bash:amd64\tinstalled\t5.2\ncurl:amd64\tconfig-files\t7.88\nsl:amd64\tinstalled\t5.02\nold:amd64\tinstalled\t1\n');
  const after = parseDpkgList('bash:amd64\tinstalled\t5.3\ncurl:amd64\tinstalled\t7.88\nsl:amd64\tinstalled\t5.02\ntree:amd64\tinstalled\t2.1\nold:amd64\tconfig-files\t1\n');
  const d = diffDpkgLists(before, after);
  assert.equal(d.installed, [{ name: 'curl:amd64', purge: false }, { name: 'tree:amd64', purge: true }]);
  assert.equal(d.removed, [{ name: 'old:amd64', version: '1' }]);
  assert.equal(d.upgraded, [{ name: 'bash:amd64', from: '5.2', to: '5.3' }]);
});

test('cache age comes from the newer of the stamp and the lists directory', () => {
  assert.is(cacheAge(1000, 900, 950), 50);
  assert.is(cacheAge(1000, 0, 400), 600);
});

test('args: package names and versions are validated; hostile names never reach a shell', () => {
  assert.ok(aptArgs.safeParse({ name: ['openssh-server', 'libc6:amd64', 'bash=5.2.15-2+b8'] }).success);
  for (const bad of ['$(touch /tmp/pwned)', "x'; rm -rf /", 'a\nb', '-oAPT::Foo=1', 'a b']) {
    assert.not.ok(aptArgs.safeParse({ name: bad }).success, bad);
  }
  assert.not.ok(aptArgs.safeParse({ name: 'x', upgrade: 'dist' }).success);
  assert.not.ok(aptArgs.safeParse({ nmae: 'x' }).success, 'unknown keys are refused');
});

// check is read-only (dpkg-query + apt-get -s), so it may run on the controller itself.
const local = new HostShell(new LocalTransport(), 'root');

/** The check as the engine runs it: the probe on this machine, then the decision. */
async function checkApt(args: unknown) {
  const parsed = aptArgs.parse(args);
  return decide(parsed, (await local.run(aptProbe(parsed))).stdout);
}

test('check on this machine: an installed package is in sync, a missing one lists its dependencies', async () => {
  const ok = await checkApt({ name: 'bash' });
  assert.is(ok.inSync, true);
  const missing = await checkApt({ name: ['bash', 'sl'] });
  assert.is(missing.inSync, false);
  assert.equal(missing.observed!.install, ['sl']);
  assert.ok(missing.summary!.includes('install sl'));
  assert.ok(missing.undo!.installed.some((p) => p.name === 'sl'));
  const pinnedWrong = checkApt({ name: 'bash=0.0-nonexistent' });
  await pinnedWrong.then(() => assert.unreachable('should fail'), (e: Error) => assert.match(e.message, /Version '0.0-nonexistent' for 'bash' was not found/));
  const absent = await checkApt({ name: 'sl', state: 'absent' });
  assert.is(absent.inSync, true, 'removing a package that is not there is a no-op');
});

test.run();
