// kafka_cluster_id on this machine: the id made once, then read back from every host of the
// cluster (this one, and the others through the play's connections: here a second name for this
// machine), and two clusters' data refused. Real nodes: test/serial/kraft.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaClusterId from '../../tasks/kafka_cluster_id.js';
import { clusterIdsFound } from '../../src/sdk/kafka-storage.js';
import { runCheck } from '../../src/task/check.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, context, shell, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

const ID = 'MkU3OEVBNTcwNTJENDM2Qk';
const OTHER = 'AAAAAAAAAAAAAAAAAAAAAQ';
const meta = (clusterId: string, nodeId: number) => `#\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\n`;

test('kafka_cluster_id: a new id when nothing is formatted, the given one if any, the one on disk ever after', async () => {
  const root = tempDir();
  const dir = join(root, 'data');
  const fresh = await check(kafkaClusterId, { hosts: ['local'], dirs: [dir] });
  assert.ok(fresh.inSync);
  assert.match(String(fresh.data?.cluster_id), /^[A-Za-z0-9_-]{22}$/);
  assert.is((await check(kafkaClusterId, { hosts: ['local'], dirs: [dir], cluster_id: '' })).data?.cluster_id === fresh.data?.cluster_id, false, 'new each time until formatted');
  assert.is((await check(kafkaClusterId, { hosts: ['local'], dirs: [dir], cluster_id: ID })).data?.cluster_id, ID);
  mkdirSync(dir);
  writeFileSync(join(dir, 'meta.properties'), meta(ID, 1));
  const read = await check(kafkaClusterId, { hosts: ['local'], dirs: [dir] });
  assert.equal(read.data, { cluster_id: ID, found: [`local:${dir}`] });
  const clash = await caught(check(kafkaClusterId, { hosts: ['local'], dirs: [dir], cluster_id: OTHER }));
  assert.match(clash.message, new RegExp(`kafka_cluster_id is ${OTHER}, and the hosts hold more than one cluster's data: ${ID} on local:${dir}`));
  assert.match((await caught(check(kafkaClusterId, { hosts: ['local', 'kafka09'], dirs: [dir] }))).message, /hosts kafka09 are not in this play/);
});

test('the other hosts are read through their connections: where the id was found names each', async () => {
  const dir = join(tempDir(), 'data');
  mkdirSync(dir);
  writeFileSync(join(dir, 'meta.properties'), meta(ID, 1));
  const ctx = { ...context(kafkaClusterId, { hosts: ['local', 'kafka02'], dirs: [dir] }), peers: () => [{ host: 'kafka02', vars: {}, shell }] };
  const read = await runCheck(kafkaClusterId, ctx);
  assert.equal(read.data, { cluster_id: ID, found: [`local:${dir}`, `kafka02:${dir}`] });
  assert.is(read.summary, `cluster ${ID}, read from local:${dir}, kafka02:${dir}`);
});

test('two ids among the hosts are two clusters: each named with where it was found', () => {
  const ids = clusterIdsFound([
    { host: 'kafka01', dirs: [{ dir: '/data', state: 'formatted', clusterId: ID, nodeId: '1' }] },
    { host: 'kafka02', dirs: [{ dir: '/data', state: 'formatted', clusterId: OTHER, nodeId: '2' }, { dir: '/data2', state: 'missing' }] },
    { host: 'kafka03', dirs: [{ dir: '/data', state: 'unformatted', entries: 0 }] },
  ]);
  assert.equal([...ids], [[ID, ['kafka01:/data']], [OTHER, ['kafka02:/data']]]);
});

test.run();
