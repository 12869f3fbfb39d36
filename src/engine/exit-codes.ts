// The process exit codes of runbook, in one place (documented in `runbook --help`). Kept apart
// from run.ts so the CLI's error path can use them without loading the engine.

export const EXIT = { ok: 0, badInput: 1, failed: 2, changes: 3, unreachable: 4, degraded: 5, down: 6, interrupted: 99, internal: 250 } as const;
