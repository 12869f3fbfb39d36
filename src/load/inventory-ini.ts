// Ansible's INI inventory: `host key=value...` lines, `[group]`, `[group:vars]`, `[group:children]`,
// host ranges like `kafka[01:03]`. Values are read as YAML scalars (numbers, booleans).

import { UserError } from '../errors.js';
import type { InventoryGroup, SourcePos, Vars } from '../model.js';
import { parseScalar, splitWords } from './words.js';

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
  let count = 1;
  for (const r of pattern.matchAll(/\[([0-9]+|[a-z]):([0-9]+|[a-z])\]/g)) {
    const bound = (s: string) => (/^\d+$/.test(s) ? Number(s) : s.charCodeAt(0));
    count *= Math.max(0, bound(r[2]) - bound(r[1]) + 1);
  }
  if (count > MAX_RANGE_HOSTS) {
    throw new UserError('inventory', `host range ${pattern} names ${count} hosts; at most ${MAX_RANGE_HOSTS} are allowed`, { pos, hint: 'check the range bounds' });
  }
  const m = /^(.*)\[([0-9]+|[a-z]):([0-9]+|[a-z])\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, from, to, tail] = m;
  const numeric = /^\d+$/.test(from);
  const start = numeric ? Number(from) : from.charCodeAt(0);
  const end = numeric ? Number(to) : to.charCodeAt(0);
  const names: string[] = [];
  for (let i = start; i <= end; i++) {
    const part = numeric ? String(i).padStart(from.length, '0') : String.fromCharCode(i);
    names.push(...expandHostRange(`${head}${part}${tail}`));
  }
  return names;
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
      const value = line.slice(eq + 1).trim();
      const unquoted = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : undefined;
      ensureGroup(inv, section.group).vars[line.slice(0, eq).trim()] = unquoted ?? parseScalar(value);
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
      const value = w.word.slice(eq + 1);
      vars[w.word.slice(0, eq)] = w.quoted ? value : parseScalar(value);
    }
    const hostPort = /^([^:\[\]]+):(\d+)$/.exec(first.word);
    if (hostPort) vars.ansible_port ??= Number(hostPort[2]);
    for (const name of expandHostRange(hostPort ? hostPort[1] : first.word, pos(first.col))) addHost(inv, section.group, name, vars, pos(first.col));
  });
  return inv;
}
