// Check read-ahead. Before a host runs a step, the engine works out the probes (TaskDefinition's
// `probe`: a check's declared read) of that step and the next few and sends them all to the host
// in one round trip (Transport.execMany; a batch per user they run as). When a check then runs for
// real, a command that is byte for byte one read ahead, as the same user, takes that result
// instead of a round trip of its own, as soon as the host has run it: the engine works on a step
// while the host still runs the next steps' probes.
//
// Checks are read-only, so a result stays true until something changes a host. Any change the
// play makes, on any host (a cluster check on one host may read another), starts a new generation
// and drops everything read ahead before it. How far to read ahead adapts: it doubles while steps
// find their hosts in order, and stops after a change, so a first converge (where nearly every
// step changes something) does not pay for checks it throws away.

import type { Duplex } from 'node:stream';
import { withoutInput, type BatchOptions, type Become, type ExecOptions, type ExecResult, type Transport } from '../transport/types.js';

const FIRST_WINDOW = 4;
const MAX_WINDOW = 32;
/** Scripts are sent in one write and each runs as one argument of sh -c (at most 128 KiB). */
const MAX_BATCH_BYTES = 256 * 1024;

/** What a result read ahead is known by: the script, and the user it ran as. */
export function readKey(script: string, become: Become | undefined): string {
  return `${become?.user ?? ''}\0${script}`;
}

/** The play's count of changes; results read ahead in an older generation are not used. */
export class Generation {
  value = 0;
}

/** One host's results read ahead, and how far ahead to read next. */
export class ReadAhead {
  private results = new Map<string, Promise<ExecResult>[]>();
  /** The generation the results belong to; -1: none. */
  private readAt = -1;
  /** The plan index up to which (exclusive) the results reach. */
  private until = 0;
  private window = FIRST_WINDOW;
  /** The generation when the host's current step started. */
  private stepGeneration = 0;

  constructor(private readonly generation: Generation) {}

  /**
   * The result read ahead under `key` (readKey), once (perhaps still running on the host);
   * undefined when there is none, or it was sent before the play last changed something.
   */
  take(key: string): Promise<ExecResult> | undefined {
    if (this.readAt !== this.generation.value) return undefined;
    const queue = this.results.get(key);
    const result = queue?.shift();
    if (queue && queue.length === 0) this.results.delete(key);
    return result;
  }

  /** A step at plan index `index` starts: how many plan items to read ahead from it (0: none). */
  stepStarting(index: number): number {
    this.stepGeneration = this.generation.value;
    if (this.readAt === this.generation.value && index < this.until) return 0;
    return this.window > 1 ? this.window : 0;
  }

  /** Read further next time if the play changed nothing during the step, not at all if it did. */
  stepDone(): void {
    const changed = this.generation.value !== this.stepGeneration;
    this.window = changed ? 1 : Math.min(MAX_WINDOW, Math.max(2, this.window * 2));
  }

  /** Results under their `keys` (readKey), sent in generation `readAt`, covering plan items up to `until`. */
  store(keys: string[], results: Promise<ExecResult>[], readAt: number, until: number): void {
    if (readAt !== this.generation.value) return;
    this.results = new Map();
    this.readAt = readAt;
    this.until = until;
    keys.forEach((key, i) => {
      const queue = this.results.get(key);
      if (queue) queue.push(results[i]);
      else this.results.set(key, [results[i]]);
    });
  }
}

/** The leading groups (one per step) whose scripts fit in one round trip, and how many groups that is. */
export function fitBatch<T extends { script: string }>(groups: T[][]): { reads: T[]; groups: number } {
  let bytes = 0;
  const reads: T[] = [];
  let taken = 0;
  for (const group of groups) {
    bytes += group.reduce((n, read) => n + Buffer.byteLength(read.script), 0);
    if (bytes > MAX_BATCH_BYTES) break;
    reads.push(...group);
    taken++;
  }
  return { reads, groups: taken };
}

/** A host's transport that answers from what was read ahead before asking the host. */
export class ReadAheadTransport implements Transport {
  constructor(
    readonly inner: Transport,
    readonly readAhead: ReadAhead,
  ) {}

  get host(): string {
    return this.inner.host;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    const known = withoutInput(options) ? this.readAhead.take(readKey(script, options.become)) : undefined;
    // A read that failed (stopped, the shell lost) is made again on its own, which reports why.
    return known ? known.catch(() => this.inner.exec(script, options)) : this.inner.exec(script, options);
  }

  execMany(scripts: string[], options?: BatchOptions): Promise<Promise<ExecResult>[] | undefined> {
    return this.inner.execMany ? this.inner.execMany(scripts, options) : Promise.resolve(undefined);
  }

  openTcp(address: string, port: number): Promise<Duplex> {
    return this.inner.openTcp(address, port);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
