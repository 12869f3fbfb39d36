// The process exit codes of runbook, in one table: what every path returns and what
// `runbook --help` prints. Kept apart from run.ts so the CLI's error path can use them without
// loading the engine.

const CODES = {
  ok: [0, 'every host ok'],
  badInput: [1, 'bad input (runbook, inventory, template, arguments): nothing was run'],
  failed: [2, 'a host failed'],
  changes: [3, '--detailed-exitcode: something changed (or, with --check, would change)'],
  unreachable: [4, 'a host was unreachable (takes precedence over 2 and 3)'],
  degraded: [5, 'status: degraded (a member or broker down, partitions under-replicated, ...)'],
  down: [6, 'status: down (no ZooKeeper quorum, partitions offline, no broker answering)'],
  interrupted: [99, 'interrupted (Ctrl-C, SIGTERM, SIGHUP): in-flight steps finished; `runbook resume` goes on'],
  internal: [250, 'internal error (a bug in runbook: the stack is printed)'],
} as const;

export const EXIT = Object.fromEntries(Object.entries(CODES).map(([name, [code]]) => [name, code])) as { readonly [K in keyof typeof CODES]: (typeof CODES)[K][0] };

type Code = keyof typeof CODES;

/**
 * The table as `--help` shows it: every code (runbook --help), or a command's own codes, each
 * with the table's meaning or, where the command's differs (rollback's "failed"), its own words.
 */
export function exitCodesHelp(codes: ReadonlyArray<Code | readonly [Code, string]> = Object.keys(CODES) as Code[]): string {
  const line = (c: Code | readonly [Code, string]) => {
    const [name, meaning] = typeof c === 'string' ? [c, CODES[c][1]] : c;
    return `  ${String(CODES[name][0]).padEnd(5)}${meaning}`;
  };
  return ['Exit codes:', ...codes.map(line)].join('\n');
}
