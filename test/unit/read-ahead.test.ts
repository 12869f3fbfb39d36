// Read-ahead results as the engine takes them (src/engine/read-ahead.ts): a check takes its own
// result while the host still runs the rest of the batch; a failed read is made again on its own;
// nothing read before the play changed something is used. The SSH side is in test/ssh/read-ahead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Duplex } from 'node:stream';
import { Generation, ReadAhead, ReadAheadTransport, readKey } from '../../src/engine/read-ahead.js';
import type { ExecResult, Transport } from '../../src/transport/types.js';

const result = (stdout: string): ExecResult => ({ code: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });

/** A host whose own execs are counted and answer `fresh`. */
class Host implements Transport {
  readonly host = 'h1';
  execs: string[] = [];
  async connect(): Promise<void> {}
  async exec(script: string): Promise<ExecResult> {
    this.execs.push(script);
    return result('fresh');
  }
  async openTcp(): Promise<Duplex> {
    throw new Error('not here');
  }
  async close(): Promise<void> {}
}

function deferred(): { promise: Promise<ExecResult>; resolve(r: ExecResult): void; reject(e: Error): void } {
  let resolve!: (r: ExecResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<ExecResult>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function setup() {
  const generation = new Generation();
  const readAhead = new ReadAhead(generation);
  const host = new Host();
  return { generation, readAhead, host, transport: new ReadAheadTransport(host, readAhead) };
}

test('a check takes its result while later scripts of the batch are still running', async () => {
  const { readAhead, host, transport } = setup();
  const first = deferred();
  const second = deferred();
  readAhead.store([readKey('a', undefined), readKey('b', undefined)], [first.promise, second.promise], 0, 2);
  const taken = transport.exec('a');
  first.resolve(result('read ahead'));
  assert.is((await taken).stdout.toString(), 'read ahead');
  assert.equal(host.execs, [], 'no exec of its own');
  second.resolve(result('b ahead'));
  assert.is((await transport.exec('b')).stdout.toString(), 'b ahead');
  assert.is((await transport.exec('b')).stdout.toString(), 'fresh', 'a result is taken once');
});

test('a read that failed on the host is made again on its own', async () => {
  const { readAhead, host, transport } = setup();
  const failing = deferred();
  readAhead.store([readKey('a', undefined)], [failing.promise], 0, 1);
  const taken = transport.exec('a');
  failing.reject(new Error('the shell was lost'));
  assert.is((await taken).stdout.toString(), 'fresh');
  assert.equal(host.execs, ['a']);
});

test('nothing sent before the play changed something is used, even if it ends after', async () => {
  const { generation, readAhead, host, transport } = setup();
  const pending = deferred();
  readAhead.store([readKey('a', undefined)], [pending.promise], 0, 1);
  generation.value++;
  pending.resolve(result('stale'));
  assert.is((await transport.exec('a')).stdout.toString(), 'fresh');
  assert.equal(host.execs, ['a']);
});

test('a result is taken only by the same script as the same user', async () => {
  const { readAhead, host, transport } = setup();
  const asRoot = deferred();
  readAhead.store([readKey('id -u', { user: 'root' })], [asRoot.promise], 0, 1);
  asRoot.resolve(result('0'));
  assert.is((await transport.exec('id -u')).stdout.toString(), 'fresh', 'not as the login user');
  assert.is((await transport.exec('id -u', { become: { user: 'kafka' } })).stdout.toString(), 'fresh', 'not as another user');
  assert.is((await transport.exec('id -u', { become: { user: 'root', password: 'pw' } })).stdout.toString(), '0');
  assert.equal(host.execs, ['id -u', 'id -u']);
});

test.run();
