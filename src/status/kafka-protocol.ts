// Just enough of Kafka's wire protocol for `runbook status`: Metadata (v5: brokers, controller,
// every partition's leader, replicas and ISR) and DescribeConfigs (v1: each topic's effective
// min.insync.replicas), over a connection the host opens for us (an SSH direct-tcpip channel),
// so no JVM starts and a status of a cluster takes a few round trips instead of three tool runs.
//
// Hand-written because the Node clients do not fit: kafkajs turns a partition error into an
// exception for the whole request, so an offline partition (LEADER_NOT_AVAILABLE) would hide
// every other partition, and @platformatic/kafka needs Node 22. Both versions used here are
// non-flexible (classic strings and arrays) and served by Kafka 1.1 through 4.x (KIP-896 kept
// Metadata v4+ and DescribeConfigs v1+). Spec: https://kafka.apache.org/protocol

import type { Duplex } from 'node:stream';

const API = { metadata: { key: 3, version: 5 }, describeConfigs: { key: 32, version: 1 } } as const;
const RESOURCE_TOPIC = 2;
const CLIENT_ID = 'runbook-status';

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

// ---- encoding ---------------------------------------------------------------------------------

const int8 = (v: number) => Buffer.from([v & 0xff]);
const int16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const string = (v: string | null) => {
  if (v === null) return int16(-1);
  const bytes = Buffer.from(v, 'utf8');
  return Buffer.concat([int16(bytes.length), bytes]);
};
const array = <T>(items: T[] | null, item: (v: T) => Buffer) => (items === null ? int32(-1) : Buffer.concat([int32(items.length), ...items.map(item)]));

/** A size-prefixed request with header v1 (api key, version, correlation id, client id). */
export function encodeRequest(api: { key: number; version: number }, correlationId: number, body: Buffer): Buffer {
  const message = Buffer.concat([int16(api.key), int16(api.version), int32(correlationId), string(CLIENT_ID), body]);
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

// ---- decoding ---------------------------------------------------------------------------------

/** Reads a response body front to back; a short or malformed body throws a RangeError. */
class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  int8 = () => this.b.readInt8((this.at += 1) - 1);
  bool = () => this.int8() !== 0;
  int16 = () => this.b.readInt16BE((this.at += 2) - 2);
  int32 = () => this.b.readInt32BE((this.at += 4) - 4);
  string = (): string | null => {
    const n = this.int16();
    if (n < 0) return null;
    if (this.at + n > this.b.length) throw new RangeError('string past the end of the response');
    return this.b.toString('utf8', (this.at += n) - n, this.at);
  };
  array = <T>(item: () => T): T[] => {
    const n = this.int32();
    if (n > this.b.length) throw new RangeError(`array of ${n} in a response of ${this.b.length} bytes`);
    return Array.from({ length: Math.max(n, 0) }, item);
  };
}

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

  close(): void {
    this.socket.destroy();
  }
}
