// The runs of a project, read back from their directories: what `runbook runs` lists and what
// resume and rollback pick their run from.

import { isUserError, UserError } from '../errors.js';
import { readJournal, type JournalContents } from './reader.js';
import type { RunHeader } from './records.js';
import { foldJournal, type RunState } from './state.js';
import { listRunIds, readHeader } from './store.js';

export interface LoadedRun {
  header: RunHeader;
  state: RunState;
  records: JournalContents['records'];
  damaged: JournalContents['damaged'];
}

export async function loadRun(projectDir: string, id: string): Promise<LoadedRun> {
  const header = await readHeader(projectDir, id);
  const { records, damaged } = await readJournal(projectDir, id);
  return { header, state: foldJournal(header, records), records, damaged };
}

/**
 * Every run, oldest first. A run whose header or journal cannot be read is passed to `onDamaged`
 * (with the error naming the file) instead: it is reported, never silently dropped.
 */
export async function loadRuns(projectDir: string, onDamaged: (id: string, error: Error) => void = () => {}): Promise<LoadedRun[]> {
  const runs: LoadedRun[] = [];
  for (const id of await listRunIds(projectDir)) {
    try {
      runs.push(await loadRun(projectDir, id));
    } catch (e) {
      if (!isUserError(e)) throw e;
      onDamaged(id, e);
    }
  }
  return runs;
}

/** The named run, or the newest run that `pick` accepts; `what` describes it for the error. */
export async function chooseRun(
  projectDir: string,
  id: string | undefined,
  pick: (run: LoadedRun) => boolean,
  what: string,
): Promise<LoadedRun> {
  if (id) return loadRun(projectDir, id);
  const runs = await loadRuns(projectDir, (damagedId, e) => process.stderr.write(`warning: run ${damagedId} skipped: ${e.message}\n`));
  const found = runs.reverse().find(pick);
  if (!found) throw new UserError('run', `no ${what} in ${projectDir}`, { hint: 'list the runs with `runbook runs`' });
  return found;
}

/**
 * What rollbacks of `runId` undid: `changes` as `host\0changeKey` (rollback skips them), `steps` as
 * `host\0stepId` (resume runs them again: their effect is gone).
 */
export async function undoneChanges(projectDir: string, runId: string): Promise<{ changes: Set<string>; steps: Set<string> }> {
  const changes = new Set<string>();
  const steps = new Set<string>();
  for (const run of await loadRuns(projectDir)) {
    if (run.header.kind !== 'rollback' || run.header.rollbackOf !== runId) continue;
    for (const r of run.records) {
      if (r.type !== 'undo-result' || r.status !== 'undone') continue;
      changes.add(`${r.host}\0${r.key}`);
      steps.add(`${r.host}\0${r.stepId}`);
    }
  }
  return { changes, steps };
}
