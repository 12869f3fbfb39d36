// The data the loader produces and the engine consumes. Loading (src/load) turns YAML files into
// these values, with every error located; the engine (src/engine) never reads a file itself.

/** A place in a source file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export type Vars = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Inventory

export interface InventoryHost {
  /** Inventory name (kafka01). */
  name: string;
  connection: 'ssh' | 'local';
  /** Address to connect to; the name when the inventory gives none. */
  address: string;
  port?: number;
  user?: string;
  /** Private key file path. */
  key?: string;
  /** SSH password login (ansible_password / ansible_ssh_pass), only when the inventory gives one; never logged. */
  password?: string;
  /** `[user@]host[:port]` or the name of another inventory host to jump through. */
  jumpHost?: string;
  /** Become root for every step on this host unless a step says otherwise (ansible_become). */
  become?: boolean;
  becomeUser?: string;
  /** Host vars as written on the host (not merged with group vars). */
  vars: Vars;
  pos?: SourcePos;
}

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  /** Child group names. */
  children: string[];
  vars: Vars;
  pos?: SourcePos;
}

export interface Inventory {
  /** The file it was loaded from (absent for the implicit localhost inventory). */
  file?: string;
  /** sha256 of the file's bytes; resume refuses when it changed. */
  hash: string;
  /** known_hosts file the inventory names for all its hosts, if any. */
  knownHostsFile?: string;
  hosts: Map<string, InventoryHost>;
  /** Every group, including `all` (every host) and `ungrouped`. */
  groups: Map<string, InventoryGroup>;
}

// ---------------------------------------------------------------------------------------------
// Runbooks

export type VarType = 'string' | 'number' | 'boolean' | 'list' | 'map' | 'any';

export interface VarDecl {
  type: VarType;
  default?: unknown;
  description?: string;
  /** Redacted in the journal, logs and `show`. */
  secret: boolean;
  /** No default: must come from the inventory or --extra-vars. */
  required: boolean;
  pos: SourcePos;
}

/**
 * Where a step sits in one block around it (Ansible's block/rescue/always): a failure in the
 * block's steps runs its rescue, and its always runs after both either way (engine/blocks.ts).
 */
export interface BlockPlace {
  /** The block's id, unique in the runbook (`site.yaml#4`). */
  block: string;
  /** The block's name, for messages. */
  name: string;
  part: 'block' | 'rescue' | 'always';
  hasRescue: boolean;
  hasAlways: boolean;
}

/**
 * One step as written, after includes are expanded. Args are kept raw: templates inside them are
 * rendered per host by the engine (plan time for everything that does not depend on a registered
 * result).
 */
export interface StepDecl {
  /**
   * Stable identity across runs: the chain of runbook files and step indexes that led here plus
   * the step name, e.g. `install-cluster.yaml#3/zookeeper.yaml#2:Download ZooKeeper`.
   */
  id: string;
  /**
   * The runbook files, as included, that led to the step, outermost first (`install-cluster.yaml`,
   * `install-cluster.yaml#3/kafka.yaml`, ...): a step notifies the handlers nearest to it in this
   * chain (engine/handlers.ts), so a runbook included twice restarts through its own handlers.
   */
  origin: string[];
  /**
   * Vars that the runbook and the includes that led to this step declare `required: true` (and no
   * include set): each host the step runs on must have them. Absent: none.
   */
  required?: string[];
  /** sha256 of the step's own YAML (after include vars are bound); resume compares it. */
  hash: string;
  name: string;
  pos: SourcePos;
  /** Position of every value under the step, keyed by dotted path (`args.content`, `when`). */
  positions: Record<string, SourcePos>;
  /**
   * Host pattern; inherited from the runbook's `hosts` when the step has none. May hold templates
   * of play-level vars (runbook defaults, include vars, -e), as Ansible's play `hosts:` may.
   */
  hosts: string;
  /** The `hosts:` of the includes that brought the step in: it runs only on hosts every one matches. */
  within?: string[];
  task: string;
  args: unknown;
  /** Vars in force for this step from the runbook chain: included runbooks' defaults overlaid by include vars. */
  scope: Vars;
  when?: string;
  become?: boolean;
  becomeUser?: string;
  register?: string;
  notify: string[];
  retries?: number;
  delay?: number;
  until?: string;
  tags: string[];
  runOnce: boolean;
  /** At most this many hosts run the step at once (Ansible's `throttle`); unset: --forks alone. */
  throttle?: number;
  loop?: unknown;
  /** Name of the loop variable (Ansible's loop_control.loop_var), default `item`. */
  loopVar: string;
  /** loop_control.index_var: a var holding the item's index. */
  indexVar?: string;
  /** loop_control.label: a template naming each item in the summary. */
  loopLabel?: string;
  ignoreErrors: boolean;
  /** Ansible's any_errors_fatal: a failure on one host stops the play everywhere. */
  anyErrorsFatal: boolean;
  /** Ansible's no_log: nothing the step reports (summary, diff, error, registered data, log lines) leaves the engine. */
  noLog: boolean;
  /** Seconds one attempt may take on a host before it fails (Ansible's `timeout`). */
  timeout?: number;
  /** true: always check-only; false: apply even under --check; undefined: follow --check. */
  checkMode?: boolean;
  changedWhen?: string;
  failedWhen?: string;
  /** For steps whose task has no undo of its own (command/shell): the steps that reverse it. */
  undo?: StepDecl[];
  /** Why rollback may not go past this step's changes (a point of no return); unset: it may. */
  irreversible?: string;
  /** Handler steps only: extra names this handler answers to (Ansible's `listen`). */
  listen?: string[];
  /** The blocks the step is in, outermost first; absent: none. */
  blocks?: BlockPlace[];
  /** The includes around the step that have `undo:` steps (UndoGroup ids), outermost first. */
  undoGroups?: string[];
}

/**
 * An include's `undo:` steps. Rollback runs them on each host where the include changed something,
 * once every host has undone those changes: what a restored file needs before it counts (a safe
 * roll of the brokers after their server.properties went back).
 */
export interface UndoGroup {
  id: string;
  /** The include's `name:`, else the runbook it includes. */
  name: string;
  steps: StepDecl[];
}

export type PlanItem =
  | { kind: 'step'; step: StepDecl }
  | { kind: 'checkpoint'; name: string; pos: SourcePos }
  | { kind: 'flush_handlers'; pos: SourcePos };

export interface Runbook {
  file: string;
  /** sha256 of the runbook file and of every file it includes. */
  hash: string;
  name: string;
  description?: string;
  /** Default host pattern for steps that name none. */
  hosts: string;
  strategy: 'linear' | 'free';
  /** Batch size for rolling plays: a count or a percentage string like '30%'. */
  serial?: number | string;
  onFailure: 'stop' | 'rollback';
  vars: Record<string, VarDecl>;
  items: PlanItem[];
  handlers: StepDecl[];
  /** The includes with `undo:` steps, by id (StepDecl.undoGroups). */
  undoGroups?: Map<string, UndoGroup>;
  /** Directory of the top-level runbook: `templates/` and relative paths resolve from here. */
  dir: string;
  /** The project's template folders, searched before a step's own (project/library.ts). */
  templateDirs: string[];
}
