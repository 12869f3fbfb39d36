// runbooks/templates/server.properties.hbs through the move to KRaft (migrate-to-kraft sets
// kafka_migration per phase), for a broker and a controller of inventory/migrate-kraft.example.yaml:
// the settings Kafka's migration guide names for each phase, and nothing of the phase before.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { renderTemplateFile } from '../../src/template/index.js';
import { loadInventory } from '../../src/load/inventory.js';
import { hostVars } from '../../src/load/vars.js';
import { parseProperties } from '../../src/sdk/kafka-storage.js';
import type { Runbook } from '../../src/model.js';

const emptyRunbook: Runbook = { file: '', hash: '', name: 't', hosts: 'all', strategy: 'linear', onFailure: 'stop', vars: {}, items: [], handlers: [], dir: '', templateDirs: [] };
/** kafka-config's defaults, as the include scope gives them. */
const defaults = {
  service_user: 'kafka', kafka_scala_version: '2.13', kafka_port: 9092, zookeeper_client_port: 2181, instance: '', kafka_mode: 'zookeeper',
  kafka_controller_port: 9093, kafka_cluster_id: '', kafka_advertised_host: '', kafka_data_dir: '/var/lib/kafka{{instance}}/data', zookeeper_chroot: '/gcp-kafka-cluster',
  kafka_num_partitions: 3, kafka_default_replication_factor: 2, kafka_internal_replication_factor: 3, kafka_delete_topic_enable: true,
  kafka_auto_create_topics_enable: false, kafka_message_max_bytes: 1048588, kafka_log_retention_hours: 168,
};

async function render(host: string, kafka_migration: string): Promise<Map<string, string>> {
  const inventory = await loadInventory(resolve('inventory/migrate-kraft.example.yaml'));
  const vars = hostVars(emptyRunbook, inventory, host, {}, { ...defaults, kafka_migration });
  return parseProperties(await renderTemplateFile(resolve('runbooks/templates/server.properties.hbs'), vars));
}

const ZK = 'kafka01:2181,kafka02:2181,kafka03:2181/gcp-kafka-cluster';
const VOTERS = '3001@kafka01:9093,3002@kafka02:9093,3003@kafka03:9093';
const pick = (p: Map<string, string>, keys: string[]) => Object.fromEntries(keys.filter((k) => p.has(k)).map((k) => [k, p.get(k)]));
const KEYS = [
  'broker.id', 'node.id', 'process.roles', 'listeners', 'zookeeper.connect', 'zookeeper.metadata.migration.enable', 'inter.broker.protocol.version',
  'controller.quorum.voters', 'controller.listener.names', 'inter.broker.listener.name', 'listener.security.protocol.map', 'log.dirs',
];

test('a broker: on ZooKeeper, in migration mode, on KRaft', async () => {
  assert.equal(pick(await render('kafka01', ''), KEYS), { 'broker.id': '1', listeners: 'PLAINTEXT://:9092', 'log.dirs': '/var/lib/kafka/data', 'zookeeper.connect': ZK });
  assert.equal(pick(await render('kafka01', 'migrating'), KEYS), {
    'broker.id': '1', listeners: 'PLAINTEXT://:9092', 'zookeeper.metadata.migration.enable': 'true', 'inter.broker.protocol.version': '3.9.2',
    'controller.quorum.voters': VOTERS, 'controller.listener.names': 'CONTROLLER', 'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': '/var/lib/kafka/data', 'zookeeper.connect': ZK,
  });
  const kraft = {
    'process.roles': 'broker', 'node.id': '1', 'controller.quorum.voters': VOTERS, 'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT', listeners: 'PLAINTEXT://:9092', 'inter.broker.listener.name': 'PLAINTEXT', 'log.dirs': '/var/lib/kafka/data',
  };
  assert.equal(pick(await render('kafka01', 'brokers-on-kraft'), KEYS), kraft);
  assert.equal(pick(await render('kafka01', 'finalized'), KEYS), kraft, 'finalizing touches the controllers only');
});

test('a controller beside it (instance -controller): in migration mode until finalized', async () => {
  const migrating = {
    'process.roles': 'controller', 'node.id': '3001', 'controller.quorum.voters': VOTERS, 'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT', listeners: 'CONTROLLER://:9093', 'zookeeper.metadata.migration.enable': 'true',
    'inter.broker.listener.name': 'PLAINTEXT', 'log.dirs': '/var/lib/kafka-controller/data', 'zookeeper.connect': ZK,
  };
  assert.equal(pick(await render('ctrl01', 'migrating'), KEYS), migrating);
  assert.equal(pick(await render('ctrl01', 'brokers-on-kraft'), KEYS), migrating);
  assert.equal(pick(await render('ctrl01', 'finalized'), KEYS), {
    'process.roles': 'controller', 'node.id': '3001', 'controller.quorum.voters': VOTERS, 'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT', listeners: 'CONTROLLER://:9093', 'log.dirs': '/var/lib/kafka-controller/data',
  });
});

test.run();
