// The cluster look's jar (src/sdk/cluster-look-jar.ts) is committed, generated from its Java source:
// it must be the source's, and a jar holding the classes. That it works against a real broker and
// ZooKeeper is proven in test/serial/systasks-kafka-loopback.test.ts and every lab suite's gates.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CLUSTER_LOOK_JAR_BASE64, CLUSTER_LOOK_SOURCE_SHA256 } from '../../src/sdk/cluster-look-jar.js';

test('the committed jar was generated from the current source (else: npm run gen:cluster-look)', () => {
  const source = readFileSync(new URL('../../src/sdk/java/RunbookClusterLook.java', import.meta.url));
  assert.is(createHash('sha256').update(source).digest('hex'), CLUSTER_LOOK_SOURCE_SHA256, 'RunbookClusterLook.java changed: run npm run gen:cluster-look');
});

test('the jar is a zip holding the look\'s classes', () => {
  const jar = Buffer.from(CLUSTER_LOOK_JAR_BASE64, 'base64');
  assert.is(jar.readUInt32LE(0), 0x04034b50, 'a zip local file header');
  const names = jar.toString('latin1');
  assert.ok(names.includes('RunbookClusterLook.class'));
  assert.ok(names.includes('RunbookClusterLook$ZooKeeperController.class'));
});

test.run();
