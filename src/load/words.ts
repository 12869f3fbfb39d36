// Small text helpers shared by the INI inventory and -e parsing.

import { parse } from 'yaml';

/**
 * Splits a line into shell-like words: whitespace separates, quotes group and are removed, a
 * template (`{{ x }}`) is kept whole; `end` is the index after the word.
 */
export function splitWords(line: string): { word: string; col: number; end: number; quoted: boolean }[] {
  const words: { word: string; col: number; end: number; quoted: boolean }[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const start = i;
    let word = '';
    let quoted = false;
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '{' && (line[i + 1] === '{' || line[i + 1] === '%')) {
        // A template is one word, spaces and all, as Ansible's split_args keeps `{{ x }}` whole.
        const close = line[i + 1] === '{' ? '}}' : '%}';
        const end = line.indexOf(close, i + 2);
        if (end < 0) throw new Error(`unclosed ${line.slice(i, i + 2)} at column ${i + 1}`);
        word += line.slice(i, end + 2);
        i = end + 2;
      } else if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        if (end < 0) throw new Error(`unclosed ${c} at column ${i + 1}`);
        word += line.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else {
        word += c;
        i++;
      }
    }
    words.push({ word, col: start + 1, end: i, quoted });
  }
  return words;
}

/**
 * A value written as text (INI, `-e key=value`) read as a YAML scalar: numbers, booleans and null
 * get their types, except where that would change what was written (`3.10`, `007` stay strings).
 */
export function parseScalar(text: string): unknown {
  if (text.trim() === '') return text;
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return text;
  }
  if (typeof value === 'number' && String(value) !== text.trim()) return text;
  if (value !== null && typeof value === 'object') return text;
  return value;
}
