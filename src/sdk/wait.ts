// Waiting on the controller: between polls of a host, and for a task's own deadlines. An
// interrupt (the run's AbortSignal: Ctrl-C, a step timeout) ends a wait at once.

import { TaskError } from '../errors.js';

/** Resolves after `ms`, or as soon as `signal` aborts; the abort listener goes with it. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Polls `probe` until it returns a value (not undefined); after `seconds` a TaskError says what
 * `onTimeout` returns (the last state seen, usually).
 */
export async function waitUntil<T>(
  seconds: number,
  signal: AbortSignal,
  probe: () => Promise<T | undefined>,
  onTimeout: () => string,
  everyMs = 3000,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new TaskError('interrupted');
    if (Date.now() >= deadline) throw new TaskError(onTimeout());
    await sleep(Math.min(everyMs, deadline - Date.now()), signal);
  }
}
