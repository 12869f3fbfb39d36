// What `runbook status` reports, as a schema: `--json` prints exactly this, docs/status.schema.json
// is generated from it (a test keeps the two equal), and the text and HTML views read it.
// Field names are snake_case, as in the rest of runbook's JSON.

import { z } from 'zod';

export const HEALTH = ['healthy', 'degraded', 'down'] as const;
export type Health = (typeof HEALTH)[number];

const problem = z.object({
  severity: z.enum(['down', 'degraded', 'warning']).describe('down and degraded set the health; a warning does not'),
  host: z.string().optional().describe('the host it is about; absent for the cluster as a whole'),
  message: z.string(),
});

const unit = z.object({
  name: z.string(),
  active: z.string().describe("systemctl is-active: active, inactive, failed, activating, ... ('' when systemd does not know the unit)"),
  enabled: z.string().describe("systemctl is-enabled: enabled, disabled, ... ('' when systemd does not know the unit)"),
});

const heap = z.object({ xms: z.string().optional(), xmx: z.string().optional() }).describe('-Xms and -Xmx of the running process');

const dataDir = z.object({
  path: z.string(),
  used_percent: z.number().optional(),
  available_bytes: z.number().optional(),
  error: z.string().optional().describe('why it could not be measured (missing, say)'),
});

const zookeeperFacts = z.object({
  unit,
  version: z.string().optional().describe('the release the running server reports (srvr), else the one its jar names'),
  mode: z.string().optional().describe('leader, follower, standalone, not_serving; absent when the server did not answer'),
  outstanding: z.number().optional().describe('requests queued (srvr)'),
  node_count: z.number().optional().describe('znodes (srvr)'),
  connections: z.number().optional(),
  client_port: z.number(),
  data_dirs: z.array(dataDir),
  heap: heap.optional(),
  error: z.string().optional().describe('why srvr got no answer'),
});

const listener = z.object({ listener: z.string(), reachable: z.boolean().describe('a TCP connection from the host itself to the advertised address') });

const kafkaFacts = z.object({
  unit,
  version: z.string().optional().describe('the release the running broker loaded (the kafka-clients jar it holds open)'),
  broker_id: z.number().optional().describe('the inventory broker_id, else broker.id in server.properties'),
  registered: z.boolean().optional().describe('the broker is among the live brokers in the cluster metadata; absent when the cluster could not be read'),
  active_controller: z.boolean().optional().describe("whether this broker is the active controller: ZooKeeper's, or on KRaft the quorum's leader (a broker only where brokers are controllers too)"),
  process_roles: z.string().optional().describe('KRaft: process.roles of the config the broker runs with (broker, controller, or both); absent in ZooKeeper mode'),
  listeners: z.array(listener),
  data_dirs: z.array(dataDir),
  heap: heap.optional(),
});

const lastRun = z.object({
  run: z.string(),
  runbook: z.string(),
  operator: z.string(),
  controller: z.string(),
  start: z.string(),
  end: z.string().optional(),
  result: z.string(),
  changed: z.number().describe('steps that changed something'),
});

const hostFacts = z.object({
  name: z.string(),
  reachable: z.boolean(),
  error: z.string().optional().describe('why the host could not be reached or read'),
  java: z.string().optional().describe("the Java release the services run on (their JDK's release file)"),
  zookeeper: zookeeperFacts.optional().describe('present when the host is in the zookeeper group'),
  kafka: kafkaFacts.optional().describe('present when the host is in the kafka group'),
  last_run: lastRun.optional().describe("the newest run in the host's history (runbook history)"),
});

const zookeeperCluster = z.object({
  members: z.array(z.string()),
  serving: z.array(z.string()).describe('members that answer srvr as leader, follower or standalone'),
  leader: z.string().optional(),
  quorum: z.boolean().describe('more than half of the members serve'),
});

const kafkaCluster = z.object({
  expected: z.array(z.number()).describe("the inventory's broker ids"),
  registered: z.array(z.number()).describe('broker ids that answer'),
  active_controller: z.number().optional().describe("the active controller's id: ZooKeeper's controller, or on KRaft the quorum leader's node id"),
  topics: z.number().optional(),
  partitions: z.number().optional(),
  under_replicated: z.array(z.string()).describe('topic-partition names with replicas out of the ISR'),
  offline: z.array(z.string()).describe('topic-partition names without a leader'),
  under_min_isr: z.array(z.string()).describe('topic-partition names whose ISR is below min.insync.replicas: acks=all writes fail'),
  read_from: z.string().optional().describe('the host whose Kafka tools were asked'),
  error: z.string().optional().describe('why the partitions could not be read'),
});

export const statusReport = z.object({
  format: z.literal('runbook-status/1'),
  time: z.string().describe('when the hosts were asked (ISO 8601)'),
  inventory: z.string().optional(),
  health: z.enum(HEALTH).describe('healthy: exit 0; degraded: exit 5; down: exit 6'),
  problems: z.array(problem).describe('worst first'),
  hosts: z.array(hostFacts),
  cluster: z.object({ zookeeper: zookeeperCluster.optional(), kafka: kafkaCluster.optional() }),
});

export type StatusReport = z.infer<typeof statusReport>;
export type Problem = z.infer<typeof problem>;
export type HostFacts = z.infer<typeof hostFacts>;
export type ZookeeperFacts = z.infer<typeof zookeeperFacts>;
export type KafkaFacts = z.infer<typeof kafkaFacts>;
export type DataDir = z.infer<typeof dataDir>;
export type ZookeeperCluster = z.infer<typeof zookeeperCluster>;
export type KafkaClusterFacts = z.infer<typeof kafkaCluster>;

/** The JSON Schema published as docs/status.schema.json. */
export function statusJsonSchema(): unknown {
  return {
    title: 'runbook status --json',
    ...(z.toJSONSchema(statusReport, { target: 'draft-2020-12' }) as object),
  };
}
