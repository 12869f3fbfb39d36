// The mutable state of one run, shared by the executor (run.ts) and the per-host step runner
// (step.ts).

import type { FailedBlock } from './blocks.js';
import type { Machines } from './machine.js';
import type { InventoryHost, Vars } from '../model.js';
import type { TaskRegistry } from '../task/registry.js';
import type { HostShell } from '../transport/host.js';
import type { Emitter } from './emitter.js';
import type { HostRecap, StepStatus } from './events.js';
import type { FactsCache } from './facts.js';
import type { Generation } from './read-ahead.js';
import type { Limiter } from './limit.js';
import type { Plan } from './plan.js';
import type { Confirm } from './confirm.js';

export interface HostState {
  name: string;
  inventoryHost: InventoryHost;
  /** The login shell, once connected. */
  shell?: HostShell;
  /** Why the host could not be reached, when it could not. */
  connectError?: unknown;
  /** Set when the host's sequence is over: it failed, became unreachable, or another host failed an any_errors_fatal step. */
  stopped?: 'failed' | 'unreachable' | 'halted';
  /** Registered results, by register name, and the vars set_fact-like tasks set. */
  registered: Vars;
  /**
   * The names in `registered` that hold vars as written in a file (include_vars): their templates
   * render when a step uses them, as the inventory's do; every other registered value is data.
   */
  writtenVars: Set<string>;
  /** The blocks that failed on this host and are not over yet, by id (engine/blocks.ts). */
  failedBlocks: Map<string, FailedBlock>;
  /** Ids of the handlers this host has notified and that have not run since. */
  notified: Set<string>;
  /**
   * This host's view of the run's signals (AbortSignal.any adds no listener to its source): the
   * abort listeners of the host's execs and sleeps stay on it, not on one signal shared by every
   * host of a big play.
   */
  signals: { interrupt: AbortSignal; task: AbortSignal };
}

export interface StepOutcome {
  status: StepStatus;
  ignored: boolean;
  /** The value `register` stored (for run_once copies). */
  registered?: Record<string, unknown>;
  host: string;
}

export interface ResumeSource {
  done(host: string, stepId: string): { status: StepStatus; registered?: Record<string, unknown> } | undefined;
}

export interface RunState {
  plan: Plan;
  registry: TaskRegistry;
  emitter: Emitter;
  facts: FactsCache;
  hosts: Map<string, HostState>;
  recap: Record<string, HostRecap>;
  checkMode: boolean;
  diff: boolean;
  projectDir: string;
  runId: string;
  /** The interrupt: once aborted, nothing new starts. */
  signal: AbortSignal;
  resume?: ResumeSource;
  /** Plan item index --from starts at; items before it are skipped. */
  fromIndex: number;
  /** The `throttle` limiter of each throttled step, by step id (shared by every host and batch). */
  throttles: Map<string, Limiter>;
  /** Members sharing a machine run their steps one at a time. */
  machines: Machines;
  /** run_once results of the current batch, by step id. */
  once: Map<string, Promise<StepOutcome>>;
  /** Set when the interrupt left work undone. */
  interrupted: boolean;
  /** Why every host stopped: a host failed a step marked any_errors_fatal. */
  halted?: string;
  /** Counts the changes the play made; check results read ahead before one are not used. */
  generation: Generation;
  /** --confirm's question, until the operator answers "all". */
  confirm?: Confirm;
  /** Stop the run as an interrupt would (the operator quit at a --confirm prompt). */
  quit(): void;
}
