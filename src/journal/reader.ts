// Reads journal.jsonl back. A controller killed mid-write leaves at most a partial last line:
// it is dropped and reported, never fatal. Records carry their line number, which is their
// stable identity (the file is append-only), e.g. for the changes a rollback has already undone.

import { open, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalLine } from './records.js';
import { JOURNAL_FILE, runDir } from './store.js';

export type NumberedLine = JournalLine & { line: number };

export interface JournalContents {
  records: NumberedLine[];
  /** Lines that did not parse (a crash mid-write): their number and a prefix of their text. */
  damaged: Array<{ line: number; text: string }>;
}

export function parseJournal(text: string): JournalContents {
  const records: NumberedLine[] = [];
  const damaged: JournalContents['damaged'] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((text, i) => {
    const line = i + 1;
    try {
      const value = JSON.parse(text) as JournalLine;
      if (!value || typeof value !== 'object' || typeof value.type !== 'string') throw new Error('not a record');
      records.push({ ...value, line });
    } catch {
      damaged.push({ line, text: text.slice(0, 80) });
    }
  });
  return { records, damaged };
}

export async function readJournal(projectDir: string, id: string): Promise<JournalContents> {
  try {
    return parseJournal(await readFile(join(runDir(projectDir, id), JOURNAL_FILE), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damaged: [] };
    throw e;
  }
}

/**
 * Before a journal is continued (resume), cut a partial last line left by a crash, so that what
 * is appended starts on a line of its own. Returns the text removed, if any.
 */
export async function trimPartialLine(projectDir: string, id: string): Promise<string | undefined> {
  const path = join(runDir(projectDir, id), JOURNAL_FILE);
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (text.length === 0 || text[text.length - 1] === 0x0a) return undefined;
  const keep = text.lastIndexOf(0x0a) + 1;
  await truncate(path, keep);
  const file = await open(path, 'r+');
  await file.datasync();
  await file.close();
  return text.subarray(keep).toString('utf8');
}
