// What a run directory holds. `journal.jsonl` is the engine's RunEvents, one per line, plus the
// journal's own markers (a resume appends to the run it continues; a rollback records each undo
// it finished), so one file tells the whole story of a run and can be folded in order.

import type { RunEvent } from '../engine/events.js';

/** Written once, when the run starts; never rewritten. */
export interface RunHeader {
  version: 1;
  id: string;
  kind: 'play' | 'rollback';
  /** For a rollback: the run it undoes. */
  rollbackOf?: string;
  projectDir: string;
  runbook: { file: string; hash: string; name: string };
  inventory: { file?: string; hash: string };
  /** Extra vars (--extra-vars) with secret values replaced by the mask (engine/redact.ts MASK). */
  extraVars: Record<string, unknown>;
  /** Names of extra vars whose values were redacted: resume asks for them again. */
  redactedVars: string[];
  /** The play options needed to run the same play again (check mode, limit, tags, forks...). */
  options: PlayFlags;
  /** The plan as it was, for change detection on resume and become on rollback. */
  steps: StepSummary[];
  /** Plan order of checkpoints: index into `steps` of the first step after each checkpoint. */
  checkpoints: Array<{ name: string; beforeStep: number }>;
  /** Command line, secrets redacted. */
  argv: string[];
  startTime: string;
  pid: number;
}

export interface PlayFlags {
  checkMode: boolean;
  diff?: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  /** --step globs and --start-at-step: a resume runs the same selection. */
  steps?: string[];
  startAtStep?: string;
  forks?: number;
  /** --rollback-on-failure: roll failed hosts back to their last checkpoint. */
  rollbackOnFailure?: boolean;
}

export interface StepSummary {
  id: string;
  name: string;
  hash: string;
  task: string;
  become?: boolean;
  becomeUser?: string;
  handler?: boolean;
}


/** A resume continues the run in the same journal; everything after it belongs to the new attempt. */
export interface ResumeMarker {
  type: 'resume';
  pid: number;
  time: string;
  argv: string[];
  from?: string;
  force?: boolean;
}

/** One undo a rollback performed (or could not). `key` names the change in the original run. */
export interface UndoMarker {
  type: 'undo-result';
  host: string;
  key: string;
  stepId: string;
  stepName: string;
  task: string;
  status: 'undone' | 'failed' | 'not-reversible' | 'skipped';
  message?: string;
}

export type JournalRecord = RunEvent | ResumeMarker | UndoMarker;

/** Each line of journal.jsonl: the record plus when it was written (ms since the epoch). */
export type JournalLine = JournalRecord & { at: number };
