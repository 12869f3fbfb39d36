// Reading one znode with ZooKeeper's own protocol, over a connection the host opens for us (an SSH
// direct-tcpip channel): a session, one GetData, the session closed. The rolling-restart gate reads
// /controller through it (who the active controller is) where zookeeper-shell.sh would start a JVM.
// Jute encoding, as ZooKeeper's ConnectRequest, RequestHeader, GetDataRequest and ReplyHeader lay it
// out (zookeeper-jute/src/main/resources/zookeeper.jute); served by ZooKeeper 3.4 through 3.9.

import type { Duplex } from 'node:stream';

const OP_GET_DATA = 4;
const OP_CLOSE_SESSION = -11;
/** KeeperException.Code.NONODE. */
const NO_NODE = -101;

const frame = (body: Buffer) => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
};

/** ConnectRequest: protocol version 0, no zxid seen, the session timeout, a new session (id 0, empty password), not read-only. */
export function connectRequest(timeoutMs: number): Buffer {
  const b = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
  b.writeInt32BE(timeoutMs, 12);
  b.writeInt32BE(16, 24);
  return frame(b);
}

/** RequestHeader (xid, op) and a GetDataRequest (path, no watch). */
export function getDataRequest(xid: number, path: string): Buffer {
  const p = Buffer.from(path, 'utf8');
  const b = Buffer.alloc(4 + 4 + 4 + p.length + 1);
  b.writeInt32BE(xid, 0);
  b.writeInt32BE(OP_GET_DATA, 4);
  b.writeInt32BE(p.length, 8);
  p.copy(b, 12);
  return frame(b);
}

export function closeRequest(xid: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(xid, 0);
  b.writeInt32BE(OP_CLOSE_SESSION, 4);
  return frame(b);
}

/** The next whole frame of a stream, as it arrives. */
function frames(socket: Duplex, timeoutMs: number): () => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let failed: Error | undefined;
  socket.on('data', (chunk: Buffer) => ((buffered = Buffer.concat([buffered, chunk])), wake?.()));
  socket.on('error', (e: Error) => ((failed ??= e), wake?.()));
  socket.on('close', () => ((failed ??= new Error('ZooKeeper closed the connection')), wake?.()));
  return async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const f = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        return f;
      }
      if (failed) throw failed;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer from ZooKeeper in ${timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => (clearTimeout(timer), resolve());
      });
      wake = undefined;
    }
  };
}

/** A znode's data; undefined when there is no such node. Throws when ZooKeeper does not answer or refuses the session. */
export async function readZNode(socket: Duplex, path: string, timeoutMs: number): Promise<Buffer | undefined> {
  const next = frames(socket, timeoutMs);
  let closing = false;
  try {
    socket.write(connectRequest(timeoutMs));
    const session = await next();
    // A server that will not serve (not in quorum, too many connections) answers a zero timeout or closes.
    if (session.length < 16 || session.readInt32BE(4) <= 0) throw new Error('ZooKeeper refused the session (is it in its quorum?)');
    socket.write(getDataRequest(1, path));
    const reply = await next();
    // Closing the session, not just the connection: ZooKeeper would otherwise keep it until its timeout.
    closing = true;
    socket.end(closeRequest(2), () => socket.destroy());
    const error = reply.readInt32BE(12);
    if (error === NO_NODE) return undefined;
    if (error !== 0) throw new Error(`ZooKeeper answered error ${error} for ${path}`);
    const size = reply.readInt32BE(16);
    if (size < 0) return Buffer.alloc(0);
    if (20 + size > reply.length) throw new RangeError('znode data past the end of the reply');
    return Buffer.from(reply.subarray(20, 20 + size));
  } finally {
    if (!closing) socket.destroy();
  }
}
