// Just enough of Kafka's wire protocol to look at a cluster without a JVM: Metadata (v5: brokers,
// controller, every partition's leader, replicas and ISR), DescribeConfigs (v1: each topic's
// effective min.insync.replicas), DescribeQuorum (v0: the KRaft quorum's leader and each voter's
// log end) and ApiVersions (v0: which requests a broker serves), over a connection the host opens for us (an SSH direct-tcpip channel). The
// rolling-restart gates (kafka-cluster.ts, kafka-quorum.ts) and `runbook status` look through it:
// a few round trips instead of a JVM start per look.
//
// Hand-written because the Node clients do not fit: kafkajs turns a partition error into an
// exception for the whole request, so an offline partition (LEADER_NOT_AVAILABLE) would hide
// every other partition, and @platformatic/kafka needs Node 22. Metadata v5 and DescribeConfigs
// v1 are non-flexible and served by Kafka 1.1 through 4.x (KIP-896 kept Metadata v4+ and
// DescribeConfigs v1+); DescribeQuorum v0 (flexible) by every KRaft release, 3.0 through 4.x.
// Spec: https://kafka.apache.org/protocol

import type { Duplex } from 'node:stream';
import { array, compactArray, compactString, int16, int32, int8, noTags, Reader, string } from './kafka-codec.js';

const API = {
  metadata: { key: 3, version: 5, flexible: false },
  describeConfigs: { key: 32, version: 1, flexible: false },
  describeQuorum: { key: 55, version: 0, flexible: true },
  apiVersions: { key: 18, version: 0, flexible: false },
} as const;
type Api = (typeof API)[keyof typeof API];
const RESOURCE_TOPIC = 2;
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

export const describeTopicConfigsRequest = (correlationId: number, topics: string[], names: string[]) =>
  encodeRequest(
    API.describeConfigs,
    correlationId,
    Buffer.concat([array(topics, (t) => Buffer.concat([int8(RESOURCE_TOPIC), string(t), array(names, string)])), int8(0) /* include_synonyms */]),
  );

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

/** Per topic, the configs asked for (effective values: the topic's own, else the broker's). */
export function decodeTopicConfigs(body: Buffer): Map<string, Map<string, string>> {
  const r = new Reader(body);
  r.int32(); // throttle_time_ms
  const out = new Map<string, Map<string, string>>();
  r.array(() => {
    const error = r.int16();
    const message = r.string();
    r.int8(); // resource_type
    const name = r.string() ?? '';
    const configs = new Map<string, string>();
    r.array(() => {
      const key = r.string() ?? '';
      const value = r.string();
      r.bool(); // read_only
      r.int8(); // config_source
      r.bool(); // is_sensitive
      r.array(() => (r.string(), r.string(), r.int8())); // synonyms (none asked)
      if (value !== null) configs.set(key, value);
    });
    if (error !== 0) throw new Error(`DescribeConfigs for topic ${name} failed with error ${error}${message ? `: ${message}` : ''}`);
    out.set(name, configs);
  });
  return out;
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

// ---- the connection ---------------------------------------------------------------------------

/** Requests one at a time over one connection, each answered by the frame with its correlation id. */
export class KafkaConnection {
  private buffered = Buffer.alloc(0);
  private waiting: { id: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failed: Error | undefined;
  private nextId = 1;

  constructor(
    private readonly socket: Duplex,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e: Error) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the broker closed the connection')));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.waiting?.reject(this.failed);
    this.waiting = undefined;
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const id = frame.readInt32BE(0);
      if (this.waiting?.id === id) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        resolve(frame.subarray(4));
      }
    }
  }

  private request(encode: (id: number) => Buffer, timeoutMs = this.timeoutMs): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer from the broker in ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiting = {
        id,
        resolve: (b) => (clearTimeout(timer), resolve(b)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.socket.write(encode(id));
    });
  }

  async metadata(): Promise<WireMetadata> {
    return decodeMetadata(await this.request(metadataRequest));
  }

  /** `timeoutMs`: this request's own limit (a broker answers DescribeConfigs only with ZooKeeper or the quorum behind it). */
  async topicConfigs(topics: string[], names: string[], timeoutMs?: number): Promise<Map<string, Map<string, string>>> {
    if (topics.length === 0) return new Map();
    return decodeTopicConfigs(await this.request((id) => describeTopicConfigsRequest(id, topics, names), timeoutMs));
  }

  /** The KRaft quorum, as the asked controller (or, forwarded, the broker's controller) reports it. */
  async quorum(): Promise<WireQuorum> {
    return decodeDescribeQuorum(await this.request(describeQuorumRequest));
  }

  /** Whether the broker serves DescribeQuorum: a KRaft node does, a ZooKeeper-mode broker does not list it. */
  async servesQuorum(): Promise<boolean> {
    return decodeApiVersions(await this.request(apiVersionsRequest)).has(API.describeQuorum.key);
  }

  close(): void {
    this.socket.destroy();
  }
}
