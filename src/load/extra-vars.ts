// `-e` values, later ones overriding earlier: `key=value` pairs (several per spec, separated by
// spaces, quotes group; values read as YAML scalars), a YAML/JSON flow map (`{"a": 1}`), or
// `@file.yaml`.

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import type { Vars } from '../model.js';
import { parseScalar, splitWords } from './words.js';
import { parseYamlText } from './yaml-source.js';

function asMap(value: unknown, what: string): Vars {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError('extra-vars', `${what} must be a mapping of var: value`);
  return value as Vars;
}

async function parseSpec(spec: string): Promise<Vars> {
  const text = spec.trim();
  if (text.startsWith('@')) {
    const file = text.slice(1);
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (e) {
      throw new UserError('extra-vars', `-e @${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {}, { cause: e });
    }
    const source = parseYamlText(file, content, '');
    return asMap(source.value(source.doc.contents), `-e @${file}`);
  }
  if (text.startsWith('{')) {
    try {
      return asMap(parse(text), `-e ${text}`);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError('extra-vars', `-e ${text}: ${(e as Error).message.split('\n')[0]}`, {}, { cause: e });
    }
  }
  const vars: Vars = {};
  let words;
  try {
    words = splitWords(text);
  } catch (e) {
    throw new UserError('extra-vars', `-e ${text}: ${(e as Error).message}`);
  }
  for (const { word, quoted } of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UserError('extra-vars', `-e ${spec}: expected key=value, {"key": value} or @file.yaml`);
    const value = word.slice(eq + 1);
    vars[word.slice(0, eq)] = quoted ? value : parseScalar(value);
  }
  return vars;
}

export async function parseExtraVars(specs: string[]): Promise<Vars> {
  const vars: Vars = {};
  for (const spec of specs) Object.assign(vars, await parseSpec(spec));
  return vars;
}
