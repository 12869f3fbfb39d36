import { test } from 'uvu';
import * as assert from 'uvu/assert';
import java, { packageFor, parseJavaVersion, profileContent } from '../../tasks/java.js';
import { check } from '../helpers/task-harness.js';
import { LocalTransport } from '../../src/transport/local.js';

test('package names per distribution; an empty package means the default', () => {
  assert.is(packageFor({ distribution: 'corretto', version: '11', package: '' }), 'java-11-amazon-corretto-jdk');
  assert.is(packageFor({ distribution: 'openjdk', version: '17', package: undefined }), 'openjdk-17-jdk-headless');
  assert.is(packageFor({ distribution: 'openjdk', version: '17', package: 'openjdk-17-jre-headless' }), 'openjdk-17-jre-headless');
  assert.is(java.args.parse({ version: 17 }).version, '17');
  assert.not.ok(java.args.safeParse({ version: '17; rm -rf /' }).success);
  assert.not.ok(java.args.safeParse({ distribution: 'tarball' }).success, 'a tarball needs url and checksum');
});

test('java -version output and the profile file', () => {
  // Debian 12's OpenJDK 17 as captured here; the second in Corretto 11's format (not captured: no route to Amazon).
  assert.is(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\n'), '17.0.15');
  assert.is(parseJavaVersion('openjdk version "11.0.21" 2023-10-17 LTS\nOpenJDK Runtime Environment Corretto-11.0.21.9.1 (build 11.0.21+9-LTS)\n'), '11.0.21');
  assert.is(profileContent("/opt/j dk$(x)"), `# Written by runbook's java task.\nexport JAVA_HOME='/opt/j dk$(x)'\nexport PATH="$JAVA_HOME/bin:$PATH"\n`);
});

// check is read-only (dpkg, apt-get -s, a probe of /etc/profile.d/java.sh): it may run here.
test('check on this machine finds the installed OpenJDK 17, its JAVA_HOME and version', async () => {
  const version = (await new LocalTransport().exec('java -version 2>&1 | head -n1')).stdout.toString();
  const r = await check(java, { distribution: 'openjdk', version: 17, package: 'openjdk-17-jre-headless' });
  assert.match(String(r.data!.java_home), /^\/usr\/lib\/jvm\/java-17-openjdk-/);
  assert.is(r.data!.version, parseJavaVersion(version));
  assert.is(r.inSync, false);
  assert.is(r.summary, 'create /etc/profile.d/java.sh');
});

test.run();
