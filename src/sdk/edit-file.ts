// Tasks that edit a text file in place (lineinfile, blockinfile, env, hosts_entry) compute the new
// text from the old with a pure function; this plans it from what their probe (contentProbe of
// the file) found. The edit sees null for a missing file and returns null to leave it missing.

import { posix } from 'node:path';
import { TaskError } from '../errors.js';
import { z } from 'zod';
import { type CheckResult } from '../task/types.js';
import { type HostShell } from '../transport/host.js';
import type { Attrs } from './attrs.js';
import { encodeLossless } from './lossless-text.js';
import { planContent, textOf, type ContentPlan, type ContentUndo } from './content-file.js';
import type { PathState } from './probe.js';

export interface EditOptions {
  attrs?: Attrs;
  /** Create the file when it is missing (otherwise a missing file that needs lines is an error). */
  create?: boolean;
  backup?: boolean;
  /** A command run on the new content before it replaces the old (`%s`: its path). */
  validate?: string;
}

/**
 * `shell` reads what the probe could not bring: a file too big to come with it, the directories
 * missing above a file to create.
 */
export async function checkEdit(
  shell: HostShell,
  found: PathState,
  edit: (text: string | null) => string | null,
  options: EditOptions = {},
): Promise<CheckResult<ContentPlan, ContentUndo>> {
  const before = await textOf(shell, found);
  // A file whose every line ends in \r\n is edited as lines of text and written back with \r\n.
  const crlf = before !== null && before.includes('\r\n') && !/(^|[^\r])\n/.test(before);
  const edited = edit(crlf ? before!.replaceAll('\r\n', '\n') : before);
  if (edited === null) return { inSync: true, summary: `${found.path} does not exist; nothing to do` };
  if (before === null && !options.create) {
    throw new TaskError(`${found.path} does not exist`, { hint: 'set create: true to create it' });
  }
  const after = crlf ? edited.replaceAll('\n', '\r\n') : edited;
  // create: true makes the missing directories above the file too, as Ansible does.
  const parents = found.type === 'absent' && !found.parentExists ? await missingParents(shell, found.path) : [];
  const planned = planContent(found.type === 'absent' && parents.length ? { ...found, parentExists: true } : found, { content: encodeLossless(after), attrs: options.attrs, backup: options.backup, validate: options.validate });
  if (parents.length && planned.observed && planned.undo) {
    planned.observed.parents = parents;
    planned.undo.parents = parents;
    planned.summary = `${planned.summary} (and its directory ${parents.at(-1)})`;
  }
  return planned;
}

/** The directories above `path` that are not there, outermost first; an error where a non-directory is in the way. */
async function missingParents(shell: HostShell, path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = posix.dirname(path); dir !== '/' && dir !== '.'; dir = posix.dirname(dir)) {
    const st = await shell.stat(dir);
    if (st && st.type !== 'directory') throw new TaskError(`cannot create ${path}: ${dir} is a ${st.type}, not a directory`);
    if (st) break;
    missing.unshift(dir);
  }
  return missing;
}

/** A file's lines without the final newline, so that joinLines(splitLines(t)) === t for texts ending in one. */
export function splitLines(text: string | null): string[] {
  if (!text) return [];
  return text.replace(/\n$/, '').split('\n');
}

export function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** Index of the last line matching re, or -1. */
export function lastMatch(lines: string[], re: RegExp): number {
  return matchIndex(lines, (l) => re.test(l));
}

/** The last line matching (the first, with Ansible's `firstmatch`). */
export function matchIndex(lines: string[], matches: (line: string) => boolean, first = false): number {
  if (first) return lines.findIndex(matches);
  for (let i = lines.length - 1; i >= 0; i--) if (matches(lines[i])) return i;
  return -1;
}

/**
 * Where new lines go, Ansible's way: after the last line matching `insertafter` or before the last
 * line matching `insertbefore` (the first, with `firstmatch`); `EOF`/`BOF` name the ends; no match
 * (or neither given) means EOF.
 */
export function insertionIndex(lines: string[], where: { insertafter?: string; insertbefore?: string; firstmatch?: boolean }): number {
  const at = (pattern: string) => {
    const re = new RegExp(pattern);
    return matchIndex(lines, (l) => re.test(l), where.firstmatch);
  };
  if (where.insertbefore !== undefined) {
    if (where.insertbefore === 'BOF') return 0;
    const i = at(where.insertbefore);
    return i >= 0 ? i : lines.length;
  }
  // BOF after, as before: the start (Ansible's lineinfile reads it so; it appended at the end here).
  if (where.insertafter === 'BOF') return 0;
  if (where.insertafter !== undefined && where.insertafter !== 'EOF') {
    const i = at(where.insertafter);
    return i >= 0 ? i + 1 : lines.length;
  }
  return lines.length;
}

/** An unescaped `\X` (an even run of backslashes before it is literal). */
const pythonEscape = (letter: string) => new RegExp(`(^|[^\\\\])((?:\\\\\\\\)*)\\\\${letter}`, 'g');

/**
 * Python's regular-expression syntax that JavaScript reads otherwise, as playbooks write it:
 * `\A` (the start of the line: Ansible matches line by line) and named groups `(?P<name>...)` with
 * their back-references `(?P=name)`. Refused (regexArg): inline flags (`(?i)`), which JavaScript
 * has no form for, and `\Z`, which in Ansible matches only after a file's unterminated last line
 * (its lines keep their newline), so no translation means what it does there.
 */
export function fromPythonRegex(pattern: string): string {
  return pattern
    .replace(pythonEscape('A'), '$1$2^')
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
}

// A regular expression argument (JavaScript syntax, Python's spellings translated), refused at plan
// time when it does not compile.
export const regexArg = z
  .string()
  .refine((s) => !/^\(\?[aiLmsux]+\)/.test(s), { message: "inline flags like (?i) are Python's, with no JavaScript form: write the pattern without them (e.g. [Kk]afka for a case-insensitive letter)" })
  .refine((s) => !pythonEscape('Z').test(s), { message: "\\Z is Python's end of the text: Ansible's lines keep their newline, so it matches only an unterminated last line; write $ for the end of a line" })
  .transform(fromPythonRegex)
  .refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

/** insertafter / insertbefore: a regex, or EOF / BOF. */
export const insertArgs = {
  insertafter: regexArg.optional().describe('Where a new line or block goes when nothing matches: after the last line matching this regexp (EOF: at the end, the default; BOF: at the start).'),
  insertbefore: regexArg.optional().describe('Or before the last line matching this regexp (BOF: at the start).'),
};
