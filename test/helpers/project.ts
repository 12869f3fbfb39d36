// A lab suite plays from a project directory of its own, a temp dir (the shipped runbooks are
// found by name from anywhere): the test runner runs two lab suites at once, and `runbook resume`
// or `rollback` without a run id takes the project's newest run, which must be this suite's.
// Importing this module sets RUNBOOK_PROJECT for every runbook the suite starts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT = mkdtempSync(join(tmpdir(), 'runbook-suite-'));
process.env.RUNBOOK_PROJECT = PROJECT;
process.on('exit', () => rmSync(PROJECT, { recursive: true, force: true }));

/** Where this suite's runs are journaled. */
export const RUNS = join(PROJECT, '.runbook', 'runs');
