// What a task learns of the controller (ControllerInfo), made in one place for the engine's
// contexts, rollback's and the test harness's, so that they cannot drift apart: relative `src` and
// templates resolve in the directory of the runbook file that holds the step (an included one's
// own), and the cache is the project's.

import { dirname, join } from 'node:path';
import type { StepDecl } from '../model.js';
import type { ControllerInfo } from './types.js';

export function controllerInfo(projectDir: string, runId: string, step: Pick<StepDecl, 'pos'> | { runbookDir: string }): ControllerInfo {
  const runbookDir = 'runbookDir' in step ? step.runbookDir : dirname(step.pos.file);
  return { projectDir, runbookDir, cacheDir: join(projectDir, '.runbook', 'cache'), runId };
}
