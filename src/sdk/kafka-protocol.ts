// Just enough of Kafka's wire protocol to look at a cluster without a JVM: Metadata (v5: brokers,
// controller, every partition's leader, replicas and ISR), DescribeConfigs (v1: a topic's or a
// broker's configs, with where each value comes from), DescribeQuorum (v0: the KRaft quorum's
// leader and each voter's log end), ListPartitionReassignments (v0: what the controller is moving)
// and ApiVersions (v0: which requests a broker serves): each request encoded and each answer
// decoded here, sent over a KafkaConnection (kafka-connection.ts). The rolling-restart gates
// (kafka-cluster.ts, kafka-quorum.ts), kafka_reassign's waits and `runbook status` look through
// it: a few round trips instead of a JVM start per look.
//
// Hand-written because the Node clients do not fit: kafkajs turns a partition error into an
// exception for the whole request, so an offline partition (LEADER_NOT_AVAILABLE) would hide
// every other partition, and @platformatic/kafka needs Node 22. Metadata v5 and DescribeConfigs
// v1 are non-flexible and served by Kafka 1.1 through 4.x (KIP-896 kept Metadata v4+ and
// DescribeConfigs v1+); DescribeQuorum v0 (flexible) by every KRaft release, 3.0 through 4.x;
// ListPartitionReassignments v0 (flexible) by 2.4 through 4.x.
// Spec: https://kafka.apache.org/protocol

import { array, compactArray, compactString, int16, int32, int8, noTags, Reader, string, uvarint } from './kafka-codec.js';

export const API = {
  metadata: { key: 3, version: 5, flexible: false },
  describeConfigs: { key: 32, version: 1, flexible: false },
  describeQuorum: { key: 55, version: 0, flexible: true },
  apiVersions: { key: 18, version: 0, flexible: false },
  listPartitionReassignments: { key: 46, version: 0, flexible: true },
} as const;
type Api = (typeof API)[keyof typeof API];
/** DescribeConfigs' resource types: a broker's configs are answered only by that broker. */
const RESOURCE = { topic: 2, broker: 4 } as const;
export type ConfigResource = keyof typeof RESOURCE;
/** Where a config's value comes from (DescribeConfigs v1's config_source). */
export const CONFIG_SOURCE = { topic: 1, dynamicBroker: 2, dynamicDefaultBroker: 3, staticBroker: 4, default: 5 } as const;
const CLIENT_ID = 'runbook';
/** The KRaft metadata log: the one partition DescribeQuorum is asked about. */
const METADATA_TOPIC = '__cluster_metadata';

export interface WireBroker {
  id: number;
  host: string;
  port: number;
}

export interface WirePartition {
  partition: number;
  error: number;
  /** -1: no leader (offline). */
  leader: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface WireTopic {
  name: string;
  error: number;
  internal: boolean;
  partitions: WirePartition[];
}

export interface WireMetadata {
  brokers: WireBroker[];
  clusterId?: string;
  /** -1 when the cluster has none. */
  controller: number;
  topics: WireTopic[];
}

export interface WireConfig {
  /** null: a sensitive value, which Kafka does not show. */
  value: string | null;
  /** A CONFIG_SOURCE. */
  source: number;
}

/** A partition the controller is moving: its replicas while it moves (old and new together), and which are added and which removed. */
export interface WireReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

export interface WireReassignments {
  /** 0, or why the asked broker could not answer (41, NOT_CONTROLLER: it is not the active controller). */
  error: number;
  reassignments: WireReassignment[];
}

export interface WireVoter {
  id: number;
  logEndOffset: number;
}

export interface WireQuorum {
  /** 0, or why the asked node could not answer (6, NOT_LEADER_OR_FOLLOWER: a controller that does not lead the quorum). */
  error: number;
  /** -1 when the quorum has none. */
  leader: number;
  voters: WireVoter[];
}

// ---- requests -------------------------------------------------------------------------------

/** A size-prefixed request: header v1 (api key, version, correlation id, client id), v2 (tagged fields after it) for a flexible version. */
export function encodeRequest(api: Api, correlationId: number, body: Buffer): Buffer {
  const message = Buffer.concat([int16(api.key), int16(api.version), int32(correlationId), string(CLIENT_ID), ...(api.flexible ? [noTags()] : []), body]);
  return Buffer.concat([int32(message.length), message]);
}

export const metadataRequest = (correlationId: number) =>
  // topics: null (every topic); allow_auto_topic_creation: false.
  encodeRequest(API.metadata, correlationId, Buffer.concat([int32(-1), int8(0)]));

/** `names`: the topics, or the one broker id (as text) of the broker asked. */
export const describeConfigsRequest = (correlationId: number, resource: ConfigResource, names: string[], keys: string[]) =>
  encodeRequest(
    API.describeConfigs,
    correlationId,
    Buffer.concat([array(names, (n) => Buffer.concat([int8(RESOURCE[resource]), string(n), array(keys, string)])), int8(0) /* include_synonyms */]),
  );

export const listReassignmentsRequest = (correlationId: number, timeoutMs: number) =>
  // topics: null (every reassignment in progress).
  encodeRequest(API.listPartitionReassignments, correlationId, Buffer.concat([int32(timeoutMs), uvarint(0), noTags()]));

export const describeQuorumRequest = (correlationId: number) =>
  encodeRequest(
    API.describeQuorum,
    correlationId,
    Buffer.concat([
      compactArray([METADATA_TOPIC], (t) => Buffer.concat([compactString(t), compactArray([0], (p) => Buffer.concat([int32(p), noTags()])), noTags()])),
      noTags(),
    ]),
  );

export const apiVersionsRequest = (correlationId: number) => encodeRequest(API.apiVersions, correlationId, Buffer.alloc(0));

// ---- answers --------------------------------------------------------------------------------

export function decodeMetadata(body: Buffer): WireMetadata {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const brokers = r.array(() => {
    const broker = { id: r.int32(), host: r.string() ?? '', port: r.int32() };
    r.string(); // rack
    return broker;
  });
  const clusterId = r.string();
  const controller = r.int32();
  const topics = r.array(() => ({
    error: r.int16(),
    name: r.string() ?? '',
    internal: r.bool(),
    partitions: r.array(() => ({ error: r.int16(), partition: r.int32(), leader: r.int32(), replicas: r.array(r.int32), isr: r.array(r.int32), offline: r.array(r.int32) })),
  }));
  return { brokers, ...(clusterId !== null ? { clusterId } : {}), controller, topics };
}

/** Per resource (topic, broker id), the configs asked for: each one's effective value and where it comes from. */
export function decodeConfigs(body: Buffer): Map<string, Map<string, WireConfig>> {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const out = new Map<string, Map<string, WireConfig>>();
  r.array(() => {
    const error = r.int16();
    const message = r.string();
    const type = r.int8();
    const name = r.string() ?? '';
    const configs = new Map<string, WireConfig>();
    r.array(() => {
      const key = r.string() ?? '';
      const value = r.string();
      r.bool(); // read_only
      const source = r.int8();
      r.bool(); // is_sensitive
      r.array(() => (r.string(), r.string(), r.int8())); // synonyms (none asked)
      configs.set(key, { value, source });
    });
    const kind = type === RESOURCE.broker ? 'broker' : 'topic';
    if (error !== 0) throw new Error(`DescribeConfigs for ${kind} ${name} failed with error ${error}${message ? `: ${message}` : ''}`);
    out.set(name, configs);
  });
  return out;
}

/** Every reassignment in progress: the response header's tagged fields first (a flexible version's header v1). */
export function decodeReassignments(body: Buffer): WireReassignments {
  const r = new Reader(body);
  r.tags();
  r.int32(); // throttle_time_ms
  const error = r.int16();
  r.compactString(); // error_message
  const reassignments = r.compactArray(() => {
    const topic = r.compactString() ?? '';
    const partitions = r.compactArray(() => {
      const p = { topic, partition: r.int32(), replicas: r.compactArray(r.int32), adding: r.compactArray(r.int32), removing: r.compactArray(r.int32) };
      r.tags();
      return p;
    });
    r.tags();
    return partitions;
  }).flat();
  return { error, reassignments };
}

/** The metadata partition's quorum: the response header's tagged fields first (a flexible version's header v1). */
export function decodeDescribeQuorum(body: Buffer): WireQuorum {
  const r = new Reader(body);
  r.tags();
  const error = r.int16();
  const replica = () => {
    const v = { id: r.int32(), logEndOffset: r.int64() };
    r.tags();
    return v;
  };
  const partitions = r.compactArray(() => {
    r.compactString(); // topic_name
    const ps = r.compactArray(() => {
      r.int32(); // partition_index
      const p = { error: r.int16(), leader: r.int32() };
      r.int32(); // leader_epoch
      r.int64(); // high_watermark
      const voters = r.compactArray(replica);
      r.compactArray(replica); // observers: the brokers
      r.tags();
      return { ...p, voters };
    });
    r.tags();
    return ps;
  }).flat();
  const p = partitions[0];
  if (error !== 0 || !p) return { error: error || -1, leader: -1, voters: [] };
  return p;
}

/** The api keys a broker serves (ApiVersions v0; its answer has header v0 at every version). */
export function decodeApiVersions(body: Buffer): Set<number> {
  const r = new Reader(body);
  const error = r.int16();
  const keys = r.array(() => {
    const key = r.int16();
    r.int16(); // min_version
    r.int16(); // max_version
    return key;
  });
  if (error !== 0) throw new Error(`ApiVersions failed with error ${error}`);
  return new Set(keys);
}
