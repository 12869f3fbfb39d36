// The task contract. A task compares the wanted state (its args) with what is on the host
// (`check`, read-only), makes it so when they differ (`apply`), and can put back what it changed
// (`undo`) from a record that `check` produced before anything was touched. The engine journals
// that record before it calls `apply`, so a crash in the middle of a change is still undoable.
//
// Checks as data: what a check reads is declared (`probe`, a script worked out from the args
// alone), and `check` decides from its output. The engine runs the probe, and runs the probes of
// the next steps with it in one round trip (engine/read-ahead.ts); a check's fixture test is its
// probe's output in, its decision out. A check may still read more through its shell where a read
// depends on what the probe found (a file too big to come with the probe, another host).

import type { z } from 'zod';
import type { ShellText } from '../shell/quote.js';
import type { HostShell } from '../transport/host.js';
import type { Vars } from '../model.js';

export interface FileDiff {
  path: string;
  /** Previous content; null when the file did not exist. */
  before: string | null;
  /** Wanted content; null when the file will be removed. */
  after: string | null;
}

export interface Facts {
  /** /etc/os-release ID and VERSION_ID, e.g. debian / 12. */
  os: { id: string; version: string; family: string; prettyName: string };
  /** 'systemd' when systemd is PID 1, else what /proc/1/comm says. */
  init: string;
  arch: string;
  memoryMb: number;
  cpus: number;
  hostname: string;
}

export interface CheckResult<Observed = unknown, Undo = unknown> {
  /** true: the host already is as wanted; nothing to do. */
  inSync: boolean;
  /** Whatever `apply` needs from the observation, so it does not have to look again. */
  observed?: Observed;
  /**
   * Data enough to restore the state found (previous content, link target, packages missing,
   * service state). Plain JSON. Journaled before `apply` runs. Absent when the task is not
   * reversible (command, shell): rollback then needs the step's own `undo:` block.
   */
  undo?: Undo;
  /** One line for the user: what is or would be changed. */
  summary?: string;
  /** File content changes, shown with --diff. */
  diff?: FileDiff[];
  /**
   * The task cannot know in --check mode whether it would change anything (a command without a
   * creates/removes/unless guard): --check reports the step as skipped with this reason.
   */
  unknowableInCheck?: string;
  /** Values for `register` (Ansible-style: rc, stdout, ...). */
  data?: Record<string, unknown>;
}

export interface ApplyResult<Undo = unknown> {
  /** Replaces the undo record from `check` once the change succeeded (e.g. the backup path made). */
  undo?: Undo;
  /** Values for `register`, merged over check's. */
  data?: Record<string, unknown>;
  /** false when apply found nothing to do after all (rare; e.g. a command whose changed_when says so). */
  changed?: boolean;
}

export interface ControllerInfo {
  /** The project directory (where runbooks/, tasks/, .runbook/ are). */
  projectDir: string;
  /** Directory of the runbook file that holds this step: relative `src` and templates resolve here. */
  runbookDir: string;
  /** Controller-side cache (downloads via controller, keyed by checksum). */
  cacheDir: string;
  runId: string;
}

export interface TaskContext<Args> {
  args: Args;
  /** The host's inventory name. */
  host: string;
  /** Every var in force for this host and step (precedence already applied). */
  vars: Vars;
  /** Commands and file operations on the host, with the step's become applied. */
  shell: HostShell;
  /** True under --check (or a step's check_mode: true): `check` only, never `apply`. */
  checkMode: boolean;
  /** Progress line for the UI; never pass secrets. */
  log(message: string): void;
  /** Facts about the host, gathered once per run in one round trip. */
  facts(): Promise<Facts>;
  /** Render a handlebars template file (path relative to the runbook's directory) with these vars. */
  renderTemplate(path: string, extraVars?: Vars): Promise<string>;
  /** Other hosts, for tasks that act across the cluster (key exchange): their shells and vars. */
  peers(): ReadonlyArray<{ host: string; vars: Vars; shell: HostShell }>;
  controller: ControllerInfo;
  signal: AbortSignal;
}

/** What a probe is worked out from: the call's args and vars, never the host. */
export type ProbeContext<Args> = Pick<TaskContext<Args>, 'args' | 'host' | 'vars' | 'controller'>;

export interface UndoContext {
  host: string;
  shell: HostShell;
  vars: Vars;
  log(message: string): void;
  controller: ControllerInfo;
  signal: AbortSignal;
}

export interface TaskDefinition<Schema extends z.ZodType = z.ZodType, Observed = unknown, Undo = unknown> {
  /** The key used in runbooks (`symlink:`). */
  name: string;
  /** One line for `runbook list`. */
  description: string;
  /** Longer help for `runbook doc <task>`: markdown, with an example. */
  doc: string;
  /** The args schema; checked at plan time, and used for the JSON Schema editors read. */
  args: Schema;
  /** Arg names whose values are secrets (redacted in journal and logs). */
  secretArgs?: string[];
  /**
   * The arg a step's plain text fills (`shell: echo hi`, as Ansible's command and shell take it),
   * and the options Ansible takes out of that text (`creates=/x chdir=/tmp`).
   */
  freeForm?: { arg: string; inline: string[] };
  /**
   * The task sets vars of its host for the steps after it (set_fact, include_vars): it returns
   * them as `data.ansible_facts`.
   */
  setsVars?: {
    /**
     * Every name it may set, from the step's args as written (templates not rendered) and the
     * runbook's directory: the plan must know before the run that they will exist.
     */
    names(args: Record<string, unknown>, runbookDir: string): string[];
    /**
     * The values are vars as written in files on the controller (include_vars), not results of
     * the run: their templates render when a step uses them, as the inventory's do, and a resumed
     * run reads the files again instead of taking them from the journal (which masks secrets).
     */
    fromFiles?: boolean;
  };
  /**
   * Ansible's other names for args (`dest: 'path'`): a step may write either, not both; the task
   * sees only the arg's own name.
   */
  aliases?: Record<string, string>;
  /**
   * This task replaces one of the same name further down the search path (a package's, or ours):
   * every runbook that names it then runs this one. Without it, the clash is an error.
   */
  override?: boolean;
  /**
   * The read-only script the check starts from: it runs with the step's become, and a non-zero
   * exit fails the step with its stderr, so a probe reports what it finds on stdout. The engine
   * may run it ahead of the step, batched with other steps' probes, and reuses that result while
   * nothing in the play has changed since. Absent, or undefined for a call: the check reads what
   * it needs itself (it reads nothing, or its reads depend on each other or on other hosts).
   */
  probe?(ctx: ProbeContext<z.output<Schema>>): ShellText | undefined;
  /**
   * Read-only: compare the host, as `probed` (the probe's stdout; '' without a probe) and any
   * further reads show it, with the wanted state. Runs once per call (task/check.ts).
   */
  check(ctx: TaskContext<z.output<Schema>>, probed: string): Promise<CheckResult<Observed, Undo>>;
  /** Make it so. Called only after check said not in sync, and never in check mode. */
  apply(ctx: TaskContext<z.output<Schema>>, observed: Observed | undefined): Promise<ApplyResult<Undo> | void>;
  /** Restore the state the undo record describes. Absent: the task is not reversible on its own. */
  undo?(ctx: UndoContext, record: Undo): Promise<void>;
  /**
   * Read-only: what changed on the host since the run left it (a file edited by hand, a file added
   * to a directory the run created), in one line; undefined when it is as the run left it.
   * Rollback shows it under --check and refuses to undo over it without --force.
   */
  drift?(ctx: UndoContext, record: Undo): Promise<string | undefined>;
  /**
   * The template files (paths as given to ctx.renderTemplate) a call with these args renders. The
   * engine renders them at plan time for every host, so a missing variable in a template file
   * fails with its file:line:col before any host is touched.
   */
  templateFiles?(args: z.output<Schema>): string[];
}

/** Identity function that gives a task module its types. */
export function defineTask<Schema extends z.ZodType, Observed = unknown, Undo = unknown>(
  task: TaskDefinition<Schema, Observed, Undo>,
): TaskDefinition<Schema, Observed, Undo> {
  return task;
}
