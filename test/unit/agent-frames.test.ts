// The agent's framing and its errors on the wire: frames survive any split into chunks, a
// malformed frame ends the connection, and an error comes back as the class the engine tells
// apart (unreachable, a task's, a refused forward, an abort).

import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abortError, isUnreachable, isUserError, TaskError, UnreachableError, UserError } from '../../src/errors.js';
import { errorFromWire, errorToWire, readFrames, writeFrame, type Frame } from '../../src/transport/agent-frames.js';
import { ForwardingRefused } from '../../src/transport/types.js';

/** What writeFrame puts on a socket, as bytes. */
function encoded(header: Frame['header'], body?: Buffer): Buffer {
  const chunks: Buffer[] = [];
  writeFrame({ write: (b: Buffer) => chunks.push(b) } as unknown as Socket, header, body);
  return Buffer.concat(chunks);
}

function reader(): { socket: PassThrough; frames: Frame[]; destroyed: () => Error | undefined } {
  const socket = new PassThrough();
  const frames: Frame[] = [];
  let error: Error | undefined;
  socket.on('error', (e) => (error = e));
  readFrames(socket as unknown as Socket, (f) => frames.push({ header: f.header, body: Buffer.from(f.body) }));
  return { socket, frames, destroyed: () => error };
}

test('frames come out whole however the bytes are split', async () => {
  const bytes = Buffer.concat([
    encoded({ t: 'exec', id: 1, script: 'echo é' }),
    encoded({ t: 'stdin', id: 1 }, Buffer.from([0, 1, 2, 255])),
    encoded({ t: 'stdin-end', id: 1 }),
  ]);
  for (const size of [1, 3, 7, bytes.length]) {
    const { socket, frames } = reader();
    for (let at = 0; at < bytes.length; at += size) socket.write(bytes.subarray(at, at + size));
    await new Promise((r) => setImmediate(r));
    assert.equal(frames.map((f) => f.header), [{ t: 'exec', id: 1, script: 'echo é' }, { t: 'stdin', id: 1 }, { t: 'stdin-end', id: 1 }], `chunks of ${size}`);
    assert.equal([...frames[1].body], [0, 1, 2, 255]);
  }
});

test('a malformed frame ends the connection', async () => {
  const bad = [
    Buffer.from([0, 0, 0, 2, 0, 0]), // shorter than its header length field
    (() => {
      const b = encoded({ t: 'x' });
      b.writeUInt32BE(1000, 4); // header longer than the frame
      return b;
    })(),
    (() => {
      const head = Buffer.from('{"no":"type"}');
      const prefix = Buffer.alloc(8);
      prefix.writeUInt32BE(4 + head.length, 0);
      prefix.writeUInt32BE(head.length, 4);
      return Buffer.concat([prefix, head]);
    })(),
  ];
  for (const bytes of bad) {
    const { socket, frames, destroyed } = reader();
    socket.write(bytes);
    await new Promise((r) => setImmediate(r));
    assert.ok(destroyed(), `destroyed on ${bytes.toString('hex')}`);
    assert.is(frames.length, 0);
  }
});

test('errors cross the wire as the classes the engine tells apart', () => {
  const round = (e: Error) => errorFromWire(JSON.parse(JSON.stringify(errorToWire(e))), 'web1');
  const unreachable = round(new UnreachableError('web1', 'connection lost', { hint: 'check the network' }));
  assert.ok(isUnreachable(unreachable));
  assert.instance(unreachable, UnreachableError);
  assert.is(unreachable.message, 'connection lost');
  assert.is((unreachable as UserError).hint, 'check the network');
  assert.instance(round(new TaskError('command timed out after 300 ms')), TaskError);
  assert.instance(round(new ForwardingRefused("web1's sshd refuses to forward connections")), ForwardingRefused);
  const hostKey = round(new UserError('host-key', 'possible man-in-the-middle'));
  assert.ok(isUserError(hostKey) && hostKey.kind === 'host-key' && hostKey.host === 'web1');
  assert.is(round(abortError('stop')).name, 'AbortError');
  const bug = round(new RangeError('index out of range'));
  assert.ok(!isUserError(bug));
  assert.is(bug.name, 'RangeError');
});

test.run();
