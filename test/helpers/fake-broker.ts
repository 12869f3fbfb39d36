// Stand-ins for a Kafka broker (or KRaft controller) and a ZooKeeper server on loopback, for the
// gates' task tests: each answers the requests the looks send (sdk/kafka-protocol.ts,
// sdk/zookeeper-protocol.ts) with bodies built here. That the real ones answer the same way is
// shown by the captured answers in test/fixtures/status, test/serial/systasks-kafka-loopback and
// the lab suites.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { HostShell } from '../../src/transport/host.js';
import { LocalTransport } from '../../src/transport/local.js';
import { ForwardingRefused } from '../../src/transport/types.js';
import { compactArray, compactString, int16, int32, int8, noTags, string, array } from '../../src/sdk/kafka-codec.js';

const API_KEYS = { 3: 'metadata', 18: 'apiVersions', 32: 'describeConfigs', 55: 'describeQuorum' } as const;
type Api = (typeof API_KEYS)[keyof typeof API_KEYS];
/** What a stand-in answers per request kind: a body, or a function of nothing (read at each request); none: it drops the connection. */
export type Answers = Partial<Record<Api, Buffer | (() => Buffer)>>;

export interface StandIn {
  port: number;
  /** The api keys asked, in order. */
  asked: number[];
  close(): Promise<void>;
}

function frame(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length), body]);
}

/** Calls `onFrame` with every size-prefixed frame a client sends. */
function frames(socket: Socket, onFrame: (f: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const f = buffered.subarray(4, 4 + buffered.readInt32BE(0));
      buffered = buffered.subarray(4 + f.length);
      onFrame(f);
    }
  });
  socket.on('error', () => {});
}

async function listen(server: Server, asked: number[]): Promise<StandIn> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, asked, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export function fakeBroker(answers: Answers): Promise<StandIn> {
  const asked: number[] = [];
  const server = createServer((socket) =>
    frames(socket, (f) => {
      const key = f.readInt16BE(0);
      asked.push(key);
      const answer = answers[API_KEYS[key as keyof typeof API_KEYS]];
      if (!answer) return void socket.destroy();
      socket.write(frame(f.subarray(4, 8), typeof answer === 'function' ? answer() : answer));
    }),
  );
  return listen(server, asked);
}

export interface PartitionSpec {
  topic: string;
  partition: number;
  /** -1: offline. */
  leader: number;
  replicas: number[];
  isr: number[];
}

/** A Metadata v5 body: the brokers that answer, the controller, the partitions. */
export function metadataBody(brokers: number[], controller: number, partitions: PartitionSpec[]): Buffer {
  const topics = [...new Set(partitions.map((p) => p.topic))];
  const ints = (v: number[]) => array(v, int32);
  return Buffer.concat([
    int32(0),
    array(brokers, (id) => Buffer.concat([int32(id), string(`kafka0${id}`), int32(9092), string(null)])),
    string('cluster'),
    int32(controller),
    array(topics, (t) =>
      Buffer.concat([
        int16(0),
        string(t),
        int8(0),
        array(
          partitions.filter((p) => p.topic === t),
          (p) => Buffer.concat([int16(p.leader < 0 ? 5 : 0), int32(p.partition), int32(p.leader), ints(p.replicas), ints(p.isr), ints(p.replicas.filter((r) => !brokers.includes(r)))]),
        ),
      ]),
    ),
  ]);
}

/** A DescribeConfigs v1 body: each topic's min.insync.replicas. */
export function configsBody(minIsr: Record<string, number>): Buffer {
  return Buffer.concat([
    int32(0),
    array(Object.entries(minIsr), ([topic, n]) =>
      Buffer.concat([int16(0), string(null), int8(2), string(topic), array([n], (v) => Buffer.concat([string('min.insync.replicas'), string(String(v)), int8(0), int8(1), int8(0), int32(0)]))]),
    ),
  ]);
}

/** A DescribeQuorum v0 body (response header's tagged fields first): the leader's view, or a non-leader's refusal (error 6). */
export function quorumBody(q: { leader: number; voters: { id: number; logEnd: number }[]; observers?: { id: number; logEnd: number }[] } | 'not leader'): Buffer {
  const replica = (r: { id: number; logEnd: number }) => {
    const offset = Buffer.alloc(8);
    offset.writeBigInt64BE(BigInt(r.logEnd));
    return Buffer.concat([int32(r.id), offset, noTags()]);
  };
  const partition = q === 'not leader'
    ? Buffer.concat([int32(0), int16(6), int32(-1), int32(-1), Buffer.alloc(8), compactArray([], replica), compactArray([], replica), noTags()])
    : Buffer.concat([int32(0), int16(0), int32(q.leader), int32(3), Buffer.alloc(8), compactArray(q.voters, replica), compactArray(q.observers ?? [], replica), noTags()]);
  return Buffer.concat([noTags(), int16(0), compactArray(['__cluster_metadata'], (t) => Buffer.concat([compactString(t), compactArray([partition], (p) => p), noTags()])), noTags()]);
}

/** A ListPartitionReassignments v0 body (response header's tagged fields first): the partitions moving, or the error alone. */
export function reassignmentsBody(moving: { topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[], error = 0): Buffer {
  const ints = (v: number[]) => compactArray(v, int32);
  const topics = [...new Set(moving.map((m) => m.topic))];
  return Buffer.concat([
    noTags(),
    int32(0),
    int16(error),
    error ? compactString('This is not the correct controller for this cluster.') : Buffer.from([0]),
    compactArray(topics, (t) =>
      Buffer.concat([
        compactString(t),
        compactArray(moving.filter((m) => m.topic === t), (m) => Buffer.concat([int32(m.partition), ints(m.replicas), ints(m.adding), ints(m.removing), noTags()])),
        noTags(),
      ]),
    ),
    noTags(),
  ]);
}

/** An ApiVersions v0 body: the api keys served (each at versions 0 to 12). */
export function apiVersionsBody(keys: number[]): Buffer {
  return Buffer.concat([int16(0), array(keys, (k) => Buffer.concat([int16(k), int16(0), int16(12)]))]);
}

/** A ZooKeeper stand-in holding the given znodes: it opens a session, answers GetData, and closes on closeSession. */
export function fakeZooKeeper(znodes: Record<string, string>): Promise<StandIn> {
  const asked: number[] = [];
  const server = createServer((socket) => {
    let session = false;
    frames(socket, (f) => {
      if (!session) {
        session = true;
        return void socket.write(frame(int32(0), int32(f.readInt32BE(12)), Buffer.alloc(8, 1), int32(16), Buffer.alloc(16), int8(0)));
      }
      const xid = f.readInt32BE(0);
      const op = f.readInt32BE(4);
      asked.push(op);
      if (op === -11) return void socket.end(frame(int32(xid), Buffer.alloc(8), int32(0)));
      const path = f.toString('utf8', 12, 12 + f.readInt32BE(8));
      const data = znodes[path];
      if (data === undefined) return void socket.write(frame(int32(xid), Buffer.alloc(8), int32(-101)));
      const bytes = Buffer.from(data);
      socket.write(frame(int32(xid), Buffer.alloc(8), int32(0), int32(bytes.length), bytes, Buffer.alloc(68)));
    });
  });
  return listen(server, asked);
}

/** The machine's transport, but its "sshd" forwards no connection (AllowTcpForwarding no). */
class NoForwarding extends LocalTransport {
  override openTcp(): Promise<never> {
    return Promise.reject(new ForwardingRefused('forwarding refused'));
  }
}

/** This machine's shell as a host whose sshd forwards nothing: the looks fall back to the host's JVM tools. */
export const shellWithoutForwarding = (): HostShell => new HostShell(new NoForwarding('local'), userInfo().username);
