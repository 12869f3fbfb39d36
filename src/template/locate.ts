// Where a position inside a template string is in the YAML file it came from. The loader records
// where each scalar starts; the template engine reports line/column inside the string. Only read
// on the error path.

import { readFileSync } from 'node:fs';
import type { SourcePos } from '../model.js';

/** `line` is 1-based, `col0` 0-based, both inside the string value that starts at `start`. */
export function locateInScalar(start: SourcePos, line: number, col0: number): SourcePos {
  let lines: string[];
  try {
    lines = readFileSync(start.file, 'utf8').split(/\r?\n/);
  } catch {
    lines = []; // unreadable: assume a plain scalar
  }
  const first = lines[start.line - 1] ?? '';
  const indicator = first[start.col - 1];
  if (indicator === '|' || indicator === '>') {
    // Block scalar: the content starts on the next line, at the block's indentation.
    const content = lines.slice(start.line).find((l) => l.trim() !== '') ?? '';
    const indent = content.length - content.trimStart().length;
    return { file: start.file, line: start.line + line, col: indent + col0 + 1 };
  }
  const quoted = indicator === '"' || indicator === "'";
  if (line === 1) return { file: start.file, line: start.line, col: start.col + (quoted ? 1 : 0) + col0 };
  // A multi-line flow scalar folds its lines; the line offset is the best guess there is.
  const target = lines[start.line - 1 + line - 1] ?? '';
  const indent = target.length - target.trimStart().length;
  return { file: start.file, line: start.line + line - 1, col: indent + col0 + 1 };
}
