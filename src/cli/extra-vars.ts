// -e/--extra-vars as Ansible takes them: `key=value` pairs (strings; several per flag, separated
// by spaces), a YAML/JSON mapping inline (`-e '{"n": 3}'`), or `@file.yaml`.

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import type { Vars } from '../model.js';

export async function parseExtraVars(flags: string[]): Promise<Vars> {
  const out: Vars = {};
  for (const flag of flags) Object.assign(out, await parseOne(flag));
  return out;
}

async function parseOne(flag: string): Promise<Vars> {
  if (flag.startsWith('@')) {
    const file = flag.slice(1);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UserError('usage', `-e @${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    return mapping(parse(text), `-e @${file}`);
  }
  if (flag.trimStart().startsWith('{')) return mapping(parse(flag), '-e');
  const out: Vars = {};
  for (const pair of flag.split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError('usage', `-e ${pair}: expected key=value, a YAML mapping or @file`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function mapping(value: unknown, where: string): Vars {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError('usage', `${where}: expected a mapping of variable names to values`);
  return value as Vars;
}
