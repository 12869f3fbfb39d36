// Two kinds of failure, kept apart on purpose: a UserError is the user's to fix (bad YAML, an
// unreachable host, a refused host key) and is printed as a clear message without a stack trace;
// anything else is a bug in runbook and is printed with its stack.
//
// Errors are recognised by a brand, not by `instanceof`: task modules are loaded at run time and
// may see a second copy of this module (src under tests, dist in production).

import type { SourcePos } from './model.js';

const USER_ERROR = Symbol.for('runbook.UserError');

export interface ErrorContext {
  /** Where in a runbook, inventory or template file the problem is. */
  pos?: SourcePos;
  /** The inventory host the error happened on. */
  host?: string;
  /** The step (its name) the error happened in. */
  step?: string;
  /** What the user can do about it, one sentence. */
  hint?: string;
}

/** What went wrong, for a program to tell apart (--json, JUnit) and for the exit code (cli/action.ts). */
export type ErrorKind =
  | 'ambiguous'
  | 'changed'
  | 'config'
  | 'extra-vars'
  | 'file'
  | 'host-key'
  | 'include'
  | 'interrupted'
  | 'inventory'
  | 'journal'
  | 'lab'
  | 'locked'
  | 'not-found'
  | 'package'
  | 'project'
  | 'run'
  | 'schema'
  | 'task'
  | 'task-module'
  | 'template'
  | 'unreachable'
  | 'usage'
  | 'vars'
  | 'vault'
  | 'version'
  | 'yaml';

export class UserError extends Error {
  readonly [USER_ERROR] = true;
  readonly pos?: SourcePos;
  readonly host?: string;
  readonly step?: string;
  readonly hint?: string;
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
    this.kind = kind;
    this.pos = context.pos;
    this.host = context.host;
    this.step = context.step;
    this.hint = context.hint;
  }
}

/** The host could not be reached or the connection dropped: Ansible's UNREACHABLE. */
export class UnreachableError extends UserError {
  constructor(host: string, message: string, options?: { cause?: unknown; hint?: string }) {
    super('unreachable', message, { host, hint: options?.hint }, options);
    this.name = 'UnreachableError';
  }
}

/** A task decided the wanted state cannot be reached (bad checksum, refused archive entry...). */
export class TaskError extends UserError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('task', message, context, options);
    this.name = 'TaskError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[USER_ERROR] === true;
}

export function isUnreachable(e: unknown): e is UnreachableError {
  return isUserError(e) && e.kind === 'unreachable';
}

/** What a transport rejects with when an exec's AbortSignal fires (shaped like Node's own AbortError). */
export function abortError(reason: unknown): Error {
  return Object.assign(new Error('the command was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * A write to stdout or stderr failed because nobody reads them any more: the pipe's reader
 * exited (`runbook play | head`), or the terminal closed (EIO). Nothing to tell, and no reason
 * to stop a run half way on a host.
 */
export function isOutputGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'EIO';
}
