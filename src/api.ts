// The public API for task modules (ours in tasks/ and a team's own): `import { defineTask, z, sh }
// from 'runbook'`. Keep it small; everything here is a promise to task authors.

export { z } from 'zod';
export { defineTask } from './task/types.js';
export type {
  ApplyResult,
  CheckResult,
  ControllerInfo,
  Facts,
  FileDiff,
  TaskContext,
  TaskDefinition,
  UndoContext,
} from './task/types.js';
export { quote, argv, sh, raw, ShellText } from './shell/quote.js';
export { HostShell, CommandError, tempBeside, placeTemp, expectSize } from './transport/host.js';
export type { FileStat, RunOptions, RunResult, WriteOptions, Become } from './transport/host.js';
export { TaskError, UserError, UnreachableError } from './errors.js';
