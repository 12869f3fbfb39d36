// The process exit codes of runbook, in one table: what every path returns and what
// `runbook --help` prints. Kept apart from run.ts so the CLI's error path can use them without
// loading the engine.

const CODES = {
  ok: [0, 'every host ok'],
  badInput: [1, 'bad input (runbook, inventory, template, arguments): nothing was run'],
  failed: [2, 'a host failed'],
  changes: [3, '--detailed-exitcode: something changed (or, with --check, would change)'],
  unreachable: [4, 'a host was unreachable'],
  degraded: [5, 'status: degraded (a member or broker down, partitions under-replicated, ...)'],
  down: [6, 'status: down (no ZooKeeper quorum, partitions offline, no broker answering)'],
  interrupted: [99, 'interrupted (Ctrl-C): resumable with `runbook resume`'],
  internal: [250, 'internal error (a bug in runbook: the stack is printed)'],
} as const;

export const EXIT = Object.fromEntries(Object.entries(CODES).map(([name, [code]]) => [name, code])) as { readonly [K in keyof typeof CODES]: (typeof CODES)[K][0] };

/** The table as `runbook --help` shows it. */
export function exitCodesHelp(): string {
  return ['Exit codes:', ...Object.values(CODES).map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`)].join('\n');
}
