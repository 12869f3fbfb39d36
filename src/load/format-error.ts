// How a UserError reads in a terminal: `file:line:col: message`, the offending line with a caret
// under the column, then the hint. Several errors (UserErrors) are printed one after another.

import { readFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import type { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { UserErrors } from './errors.js';

export function formatUserError(e: UserError): string {
  if (e instanceof UserErrors) return e.errors.map(formatOne).join('\n\n');
  return formatOne(e);
}

function formatOne(e: UserError): string {
  const context = [e.step && `step "${e.step}"`, e.host && `host ${e.host}`].filter(Boolean).join(', ');
  const message = context ? `${e.message} (${context})` : e.message;
  const lines = [e.pos ? `${displayPath(e.pos.file)}:${e.pos.line}:${e.pos.col}: ${message}` : `error: ${message}`];
  if (e.pos) lines.push(...excerpt(e.pos));
  if (e.hint) lines.push(`hint: ${e.hint}`);
  return lines.join('\n');
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function excerpt(pos: SourcePos): string[] {
  let line: string | undefined;
  try {
    line = readFileSync(pos.file, 'utf8').split(/\r?\n/)[pos.line - 1];
  } catch {
    return [];
  }
  if (line === undefined) return [];
  const gutter = String(pos.line);
  // Tabs stay tabs under the caret so it lines up however the terminal expands them.
  const pad = line.slice(0, Math.max(0, pos.col - 1)).replace(/[^\t]/g, ' ');
  return [`${gutter} | ${line}`, `${' '.repeat(gutter.length)} | ${pad}^`];
}
