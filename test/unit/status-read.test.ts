// Which broker status names the active controller, against broker stand-ins on loopback
// (test/helpers/fake-broker.ts): Metadata's controller where the broker does not serve
// DescribeQuorum (ZooKeeper mode), the quorum's leader where it does (KRaft, whose Metadata names
// a random live broker), none when the quorum cannot tell. Real clusters: test/serial/install-cluster
// (ZooKeeper) and test/serial/kraft.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readPartitions } from '../../src/status/kafka-read.js';
import type { ReachedHost } from '../../src/cli/reach.js';
import { apiVersionsBody, configsBody, fakeBroker, metadataBody, quorumBody, type Answers } from '../helpers/fake-broker.js';
import { shell } from '../helpers/task-harness.js';

const local: ReachedHost = { name: 'local', host: { name: 'local', connection: 'local', address: '127.0.0.1' } as ReachedHost['host'], vars: {}, login: shell };
const metadata = metadataBody([1, 2, 3], 2, [{ topic: 'orders', partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }]);

async function controllerAsRead(answers: Answers): Promise<number | undefined> {
  const broker = await fakeBroker({ metadata, describeConfigs: configsBody({ orders: 2 }), ...answers });
  try {
    const read = await readPartitions([local], [{ host: '127.0.0.1', port: broker.port }]);
    assert.is(read.error, undefined);
    assert.is(read.cluster?.partitions[0]?.minIsr, 2);
    return read.cluster?.controller;
  } finally {
    await broker.close();
  }
}

test("ZooKeeper mode (no DescribeQuorum among the broker's requests): Metadata's controller", async () => {
  assert.is(await controllerAsRead({ apiVersions: apiVersionsBody([0, 1, 3, 18, 32]) }), 2);
});

test("KRaft: the quorum's leader, not Metadata's random broker; a quorum without a leader: none", async () => {
  const kraft = apiVersionsBody([0, 1, 3, 18, 32, 55]);
  assert.is(await controllerAsRead({ apiVersions: kraft, describeQuorum: quorumBody({ leader: 3001, voters: [{ id: 3001, logEnd: 9 }] }) }), 3001);
  assert.is(await controllerAsRead({ apiVersions: kraft, describeQuorum: quorumBody('not leader') }), undefined);
});

test.run();
