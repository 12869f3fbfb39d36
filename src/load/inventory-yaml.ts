// Ansible's YAML inventory: `all: {hosts, vars, children}` with nested groups; host vars directly
// in the host's mapping. Top-level keys other than `all` are groups too.

import { isMap, type Node } from 'yaml';
import { UserError } from '../errors.js';
import { ensureGroup, addHost, expandHostRange, type RawInventory } from './inventory-ini.js';
import { mapEntries } from './step.js';
import { didYouMean } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function parseYamlInventory(source: YamlSource): RawInventory {
  const inv: RawInventory = { hosts: new Map(), groups: new Map() };
  const root = source.doc.contents as Node | null;
  if (root === null) return inv;
  if (!isMap(root)) throw new UserError('inventory', 'an inventory is a mapping of groups (all: {hosts, vars, children})', { pos: source.pos(root) });

  const mapping = (node: Node | null, what: string): Record<string, unknown> => {
    const value = source.value(node);
    if (value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new UserError('inventory', `${what} must be a mapping`, { pos: source.pos(node) });
    return value as Record<string, unknown>;
  };

  // Groups being read, outermost first: an alias to one of them (`children: {b: *a}` inside `a`) is a cycle.
  const reading = new Set<Node>();
  const group = (name: string, given: Node | null, keyNode: Node) => {
    const g = ensureGroup(inv, name, source.pos(keyNode));
    const node = source.deref(given);
    if (node === null || source.value(node) === null) return;
    if (reading.has(node)) throw new UserError('inventory', `group "${name}" contains itself (through an alias)`, { pos: source.pos(given) });
    if (!isMap(node)) throw new UserError('inventory', `group "${name}" must be a mapping of hosts, vars, children`, { pos: source.pos(node) });
    reading.add(node);
    for (const e of mapEntries(node)) {
      if (!GROUP_KEYS.includes(e.key)) {
        throw new UserError('inventory', `unknown key "${e.key}" in group "${name}"`, {
          pos: source.pos(e.keyNode),
          hint: didYouMean(e.key, GROUP_KEYS) ?? 'a group has hosts, vars and children; host vars go under the host',
        });
      }
      if (e.key === 'vars') Object.assign(g.vars, mapping(e.value, `vars of group "${name}"`));
      const value = source.deref(e.value);
      if (e.key === 'hosts') {
        if (value && source.value(value) !== null && !isMap(value)) {
          throw new UserError('inventory', `hosts of group "${name}" must be a mapping (host: its vars)`, { pos: source.pos(value) });
        }
        for (const h of isMap(value) ? mapEntries(value) : []) {
          // A range names several hosts (`kafka[01:03]:`), as in INI.
          for (const host of expandHostRange(h.key, source.pos(h.keyNode))) addHost(inv, name, host, mapping(h.value, `vars of host "${h.key}"`), source.pos(h.keyNode));
        }
      }
      if (e.key === 'children') {
        if (value && source.value(value) !== null && !isMap(value)) {
          throw new UserError('inventory', `children of group "${name}" must be a mapping of groups`, { pos: source.pos(value) });
        }
        for (const c of isMap(value) ? mapEntries(value) : []) {
          if (!g.children.includes(c.key)) g.children.push(c.key);
          group(c.key, c.value, c.keyNode);
        }
      }
    }
    reading.delete(node);
  };

  for (const e of mapEntries(root)) group(e.key, e.value, e.keyNode);
  return inv;
}
