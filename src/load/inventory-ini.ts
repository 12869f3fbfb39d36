// Ansible's INI inventory: `host key=value...` lines, `[group]`, `[group:vars]`, `[group:children]`,
// host ranges like `kafka[01:03]`. Values are read as YAML scalars (numbers, booleans).

import { UserError } from '../errors.js';
import type { InventoryGroup, SourcePos, Vars } from '../model.js';
import { parse } from 'yaml';
import { splitWords } from './words.js';

export interface RawHost {
  vars: Vars;
  pos: SourcePos;
}

export interface RawInventory {
  hosts: Map<string, RawHost>;
  groups: Map<string, InventoryGroup>;
}

export function ensureGroup(inv: RawInventory, name: string, pos?: SourcePos): InventoryGroup {
  let group = inv.groups.get(name);
  if (!group) {
    group = { name, hosts: [], children: [], vars: {}, pos };
    inv.groups.set(name, group);
  }
  return group;
}

export function addHost(inv: RawInventory, group: string, name: string, vars: Vars, pos: SourcePos): void {
  const host = inv.hosts.get(name);
  if (host) Object.assign(host.vars, vars);
  else inv.hosts.set(name, { vars: { ...vars }, pos });
  const g = ensureGroup(inv, group, pos);
  if (!g.hosts.includes(name)) g.hosts.push(name);
}

/** More hosts than any inventory has: a range beyond it is a typo (or an attack on memory). */
export const MAX_RANGE_HOSTS = 10_000;

/** `kafka[01:03]` → kafka01, kafka02, kafka03; `node-[a:c]` → node-a, node-b, node-c. */
export function expandHostRange(pattern: string, pos?: SourcePos): string[] {
  const RANGE = /\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\]/;
  const bound = (s: string) => (/^\d+$/.test(s) ? Number(s) : s.charCodeAt(0));
  let count = 1;
  for (const r of pattern.matchAll(new RegExp(RANGE.source, 'g'))) {
    const step = Number(r[3] ?? 1);
    if (step < 1) throw new UserError('inventory', `host range ${pattern}: the step must be 1 or more, not ${r[3]}`, { pos });
    count *= Math.max(0, Math.floor((bound(r[2]) - bound(r[1])) / step) + 1);
  }
  if (count > MAX_RANGE_HOSTS) {
    throw new UserError('inventory', `host range ${pattern} names ${count} hosts; at most ${MAX_RANGE_HOSTS} are allowed`, { pos, hint: 'check the range bounds' });
  }
  const m = new RegExp(`^(.*?)${RANGE.source}(.*)$`).exec(pattern);
  if (!m) return [pattern];
  const [, head, from, to, stepText, tail] = m;
  const numeric = /^\d+$/.test(from);
  // Ansible's [01:10:3]: every third, padded as the start is.
  const step = Number(stepText ?? 1);
  const names: string[] = [];
  for (let i = bound(from); i <= bound(to); i += step) {
    const part = numeric ? String(i).padStart(from.length, '0') : String.fromCharCode(i);
    names.push(...expandHostRange(`${head}${part}${tail}`));
  }
  return names;
}

/**
 * An INI value typed as Ansible types it: Python's literal_eval, or the text when it is no
 * literal. Whole numbers and decimals become numbers (not `007`: Python refuses leading zeros;
 * nor `3.10`, below),
 * True/False/None (only so spelt: `true` and `yes` stay text), quoted text loses its quotes, and
 * [lists] and {maps} are read as flow YAML.
 */
export function iniValue(text: string): unknown {
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  // Deliberately not Ansible's: a decimal that would not read back as written (`3.10`, a version)
  // stays text, where Python's literal_eval makes it 3.1.
  if (/^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$/.test(text)) return String(Number(text)) === text ? Number(text) : text;
  if (text === 'True' || text === 'False') return text === 'True';
  if (text === 'None') return null;
  const quoted = /^(["'])(.*)\1$/s.exec(text);
  if (quoted) return quoted[2];
  if (/^[[{].*[\]}]$/s.test(text)) {
    try {
      const value: unknown = parse(text.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null'));
      if (value !== null && typeof value === 'object') return value;
    } catch {
      // no literal: the text
    }
  }
  return text;
}

export function parseIniInventory(file: string, text: string): RawInventory {
  const inv: RawInventory = { hosts: new Map(), groups: new Map() };
  let section = { group: 'ungrouped', kind: 'hosts' as 'hosts' | 'vars' | 'children' };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const pos = (col = raw.length - raw.trimStart().length + 1): SourcePos => ({ file, line: index + 1, col });
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (header) {
      section = { group: header[1], kind: (header[2] as 'vars' | 'children') ?? 'hosts' };
      ensureGroup(inv, section.group, pos());
      return;
    }
    if (section.kind === 'children') {
      ensureGroup(inv, line, pos());
      const group = ensureGroup(inv, section.group);
      if (!group.children.includes(line)) group.children.push(line);
      return;
    }
    if (section.kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new UserError('inventory', `expected key=value in [${section.group}:vars]`, { pos: pos() });
      ensureGroup(inv, section.group).vars[line.slice(0, eq).trim()] = iniValue(line.slice(eq + 1).trim());
      return;
    }
    let words;
    try {
      words = splitWords(raw);
    } catch (e) {
      throw new UserError('inventory', (e as Error).message, { pos: pos() });
    }
    const end = words.findIndex((w) => w.word.startsWith('#') && !w.quoted);
    const [first, ...rest] = end < 0 ? words : words.slice(0, end);
    const vars: Vars = {};
    for (const w of rest) {
      const eq = w.word.indexOf('=');
      if (eq <= 0) throw new UserError('inventory', `expected key=value after the host name, got "${w.word}"`, { pos: pos(w.col) });
      // The quotes are gone (shlex's, in Ansible), and the text is typed as in a [:vars] line.
      vars[w.word.slice(0, eq)] = iniValue(w.word.slice(eq + 1));
    }
    const hostPort = /^([^:\[\]]+):(\d+)$/.exec(first.word);
    if (hostPort) vars.ansible_port ??= Number(hostPort[2]);
    for (const name of expandHostRange(hostPort ? hostPort[1] : first.word, pos(first.col))) addHost(inv, section.group, name, vars, pos(first.col));
  });
  return inv;
}
