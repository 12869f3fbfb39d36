// One connection to a broker or controller, as the host's sshd opens it (an SSH direct-tcpip
// channel): requests one at a time, each encoded and decoded by kafka-protocol.ts. askBrokers
// (kafka-cluster.ts) hands it to the looks.

import type { Duplex } from 'node:stream';
import {
  API, apiVersionsRequest, decodeApiVersions, decodeConfigs, decodeDescribeQuorum, decodeMetadata, decodeReassignments, describeConfigsRequest, describeQuorumRequest, listReassignmentsRequest, metadataRequest,
  type ConfigResource, type WireConfig, type WireMetadata, type WireQuorum, type WireReassignments,
} from './kafka-protocol.js';

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

  /**
   * The configs `keys` of topics, or of the broker asked (`names`: its id), each with its source.
   * `timeoutMs`: this request's own limit (a broker answers DescribeConfigs only with ZooKeeper or the quorum behind it).
   */
  async configs(resource: ConfigResource, names: string[], keys: string[], timeoutMs?: number): Promise<Map<string, Map<string, WireConfig>>> {
    if (names.length === 0) return new Map();
    return decodeConfigs(await this.request((id) => describeConfigsRequest(id, resource, names, keys), timeoutMs));
  }

  /** Per topic, the effective values of `keys` (the topic's own, else the broker's). */
  async topicConfigs(topics: string[], keys: string[], timeoutMs?: number): Promise<Map<string, Map<string, string>>> {
    const configs = await this.configs('topic', topics, keys, timeoutMs);
    const values = (c: Map<string, WireConfig>) => new Map([...c].flatMap(([k, v]) => (v.value === null ? [] : [[k, v.value] as const])));
    return new Map([...configs].map(([topic, c]) => [topic, values(c)]));
  }

  /** The partitions the controller is moving: asked of the active controller (a KRaft broker forwards it to its own). */
  async reassignments(): Promise<WireReassignments> {
    return decodeReassignments(await this.request((id) => listReassignmentsRequest(id, this.timeoutMs)));
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
