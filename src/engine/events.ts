// What the engine tells the world while it runs. Sinks (the journal, the terminal UI, the --json
// stream) receive every event in order; the engine awaits `emit` before it goes on, so the
// journal can make a record durable (fsync) before the action it describes: in particular a
// `host-undo` is on disk before `apply` touches the host.

import type { FileDiff } from '../task/types.js';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/**
 * Why a step was skipped on a host, as data: `condition` its `when` is false (or a loop has no
 * items); `passed-over` a resume or --from did not run it (what it did before still stands);
 * `declined` --confirm said no; `unknowable` --check cannot tell what it would do (a command).
 */
export type SkipKind = 'condition' | 'passed-over' | 'declined' | 'unknowable';

export interface EventError {
  message: string;
  /** UserError kind ('task', 'unreachable', 'template', ...) or 'internal'. */
  kind: string;
  hint?: string;
}

export type RunEvent =
  | {
      type: 'run-start';
      runId: string;
      runbook: string;
      hosts: string[];
      checkMode: boolean;
      time: string;
    }
  /** A step begins (linear strategy: on all its hosts at once). Handlers have ids `handler:<name>`. */
  | { type: 'step-start'; stepId: string; stepName: string; task: string; hosts: string[]; handler: boolean }
  | { type: 'host-start'; host: string; stepId: string; stepName: string }
  /** Written (and fsynced by the journal) before apply; `item` is the loop index when looping. */
  | { type: 'host-undo'; host: string; stepId: string; task: string; item?: number; undo: unknown }
  | {
      type: 'host-result';
      host: string;
      stepId: string;
      stepName: string;
      task: string;
      status: StepStatus;
      /** Why skipped, as data (journal/state.ts reads it) and in words (reason). */
      skip?: SkipKind;
      reason?: string;
      summary?: string;
      diff?: FileDiff[];
      error?: EventError;
      /** The final undo records (one per loop item, in order) for rollback; absent when nothing changed. */
      undo?: Array<{ task: string; item?: number; record: unknown }>;
      /** What `register` stored, secrets redacted; resume restores it for later steps. */
      registered?: Record<string, unknown>;
      /** The failure was ignored (ignore_errors). */
      ignored?: boolean;
      durationMs: number;
    }
  | { type: 'step-end'; stepId: string }
  /** A progress line from a task (ctx.log), secrets redacted. */
  | { type: 'host-log'; host: string; stepId: string; message: string }
  | { type: 'checkpoint'; name: string; hosts: string[] }
  | { type: 'run-end'; status: 'ok' | 'failed' | 'interrupted'; recap: Record<string, HostRecap>; durationMs: number };

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Failures a block's rescue made good. */
  rescued: number;
  ignored: number;
}

export interface EventSink {
  emit(event: RunEvent): void | Promise<void>;
  /** Called once when the run is over (flush and close files, stop renderers). */
  close?(): void | Promise<void>;
}
