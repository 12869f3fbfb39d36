// The framing between `runbook` and its connection agent (agent.ts, agent-transport.ts): each
// frame is a JSON header and a binary body, `u32 length of the rest | u32 header length | header
// | body`, so script output and forwarded TCP bytes travel as they are, never re-encoded.

import type { Socket } from 'node:net';
import { abortError, isUserError, TaskError, UnreachableError, UserError, type ErrorKind } from '../errors.js';
import { ForwardingRefused } from './types.js';

/** Bumped when the frames change; the socket's name carries the build, this catches the rest. */
export const AGENT_PROTOCOL = 1;

export interface Frame {
  header: Record<string, unknown> & { t: string };
  body: Buffer;
}

/** Frames above this are a broken or hostile peer, not output (exec output is buffered whole). */
const MAX_FRAME = 1 << 30;

export function writeFrame(socket: Socket, header: Frame['header'], body: Buffer = Buffer.alloc(0)): boolean {
  const head = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(4 + head.length + body.length, 0);
  prefix.writeUInt32BE(head.length, 4);
  return socket.write(body.length ? Buffer.concat([prefix, head, body]) : Buffer.concat([prefix, head]));
}

/** Calls `onFrame` for each whole frame read from the socket; a malformed one destroys the socket. */
export function readFrames(socket: Socket, onFrame: (frame: Frame) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length < 4 || length > MAX_FRAME) return void socket.destroy(new Error(`bad frame length ${length}`));
      if (pending.length < 4 + length) return;
      const headLength = pending.readUInt32BE(4);
      if (headLength > length - 4) return void socket.destroy(new Error(`bad frame header length ${headLength}`));
      let header: Frame['header'];
      try {
        header = JSON.parse(pending.subarray(8, 8 + headLength).toString('utf8'));
        if (typeof header?.t !== 'string') throw new Error('no frame type');
      } catch (e) {
        return void socket.destroy(e as Error);
      }
      const body = pending.subarray(8 + headLength, 4 + length);
      pending = pending.subarray(4 + length);
      onFrame({ header, body });
    }
  });
}

/** An error as it crosses the socket: enough to rebuild the class the engine tells apart. */
export interface WireError {
  name: string;
  message: string;
  kind?: ErrorKind;
  hint?: string;
}

export function errorToWire(e: unknown): WireError {
  const error = e instanceof Error ? e : new Error(String(e));
  if (error instanceof ForwardingRefused) return { name: 'ForwardingRefused', message: error.message, kind: error.kind, hint: error.hint };
  if (isUserError(error)) return { name: error.name, message: error.message, kind: error.kind, hint: error.hint };
  return { name: error.name, message: error.message };
}

export function errorFromWire(wire: WireError, host: string): Error {
  const context = { host, ...(wire.hint ? { hint: wire.hint } : {}) };
  if (wire.name === 'AbortError') return abortError(undefined);
  if (wire.name === 'ForwardingRefused') return new ForwardingRefused(wire.message, context);
  if (wire.kind === 'unreachable') return new UnreachableError(host, wire.message, context);
  if (wire.kind === 'task') return new TaskError(wire.message, context);
  if (wire.kind) return new UserError(wire.kind, wire.message, context);
  return Object.assign(new Error(wire.message), { name: wire.name });
}
