// Every command action runs through here: a UserError is printed as the user's problem
// (file:line:col, the line, a hint) with no stack, and exits by its kind (exitCodeOf); anything
// else is a bug in runbook, printed with its stack, exit 250.

import { EXIT } from '../engine/exit-codes.js';
import { isUserError, type ErrorKind } from '../errors.js';

/** A user error's exit code: a host out of reach and an interrupt keep theirs; the rest is bad input. */
export function exitCodeOf(kind: ErrorKind): number {
  return kind === 'unreachable' ? EXIT.unreachable : kind === 'interrupted' ? EXIT.interrupted : EXIT.badInput;
}

export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      process.exitCode = await report(e);
    }
  };
}

export async function report(e: unknown): Promise<number> {
  if (isUserError(e)) {
    const { formatUserError } = await import('../load/format-error.js');
    process.stderr.write(formatUserError(e) + '\n');
    return exitCodeOf(e.kind);
  }
  process.stderr.write(`runbook: internal error (a bug; please report it):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}
