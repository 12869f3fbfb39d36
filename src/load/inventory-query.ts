// Questions about an inventory the loader, patterns and vars all ask: which hosts a group holds,
// which groups a host is in (parents before children), and a host's merged inventory vars.

import type { Inventory, Vars } from '../model.js';

const memberCache = new WeakMap<Inventory, Map<string, string[]>>();

/** Every host of a group, its children's included, in inventory order. */
export function groupHosts(inventory: Inventory, group: string): string[] {
  let cache = memberCache.get(inventory);
  if (!cache) memberCache.set(inventory, (cache = new Map()));
  const cached = cache.get(group);
  if (cached) return cached;
  const members = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string) => {
    const g = inventory.groups.get(name);
    if (!g || seen.has(name)) return;
    seen.add(name);
    g.hosts.forEach((h) => members.add(h));
    g.children.forEach(visit);
  };
  visit(group);
  const ordered = [...inventory.hosts.keys()].filter((h) => members.has(h));
  cache.set(group, ordered);
  return ordered;
}

/** Depth of each group below `all` (all = 0): a child is deeper than every parent. */
function groupDepths(inventory: Inventory): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const parents = new Map<string, string[]>();
  for (const g of inventory.groups.values()) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), g.name]);
  const resolve = (name: string, path: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (path.has(name)) return 1; // a cycle of children: no order to find
    path.add(name);
    const d = 1 + Math.max(0, ...(parents.get(name) ?? []).filter((p) => p !== 'all').map((p) => resolve(p, path)));
    depth.set(name, d);
    return d;
  };
  for (const name of inventory.groups.keys()) resolve(name, new Set());
  return depth;
}

/**
 * The groups a host is in, in Ansible's merge order: `all` first, then by depth (parents before
 * children), then by `ansible_group_priority` (default 1: a higher one merges later and wins),
 * then by name.
 */
export function hostGroups(inventory: Inventory, host: string): string[] {
  let cache = hostGroupsCache.get(inventory);
  if (!cache) hostGroupsCache.set(inventory, (cache = new Map()));
  let groups = cache.get(host);
  if (!groups) cache.set(host, (groups = orderedGroups(inventory, host)));
  return groups;
}

/**
 * Names in Ansible's order: Python's sorted(), by code point ("B" before "a"). Not localeCompare,
 * whose first call loads ICU's collation data: 10 ms of every run's start-up.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Asked for every host and var scope a plan renders: worked out once per host (like groupHosts).
const hostGroupsCache = new WeakMap<Inventory, Map<string, string[]>>();

function orderedGroups(inventory: Inventory, host: string): string[] {
  const depth = groupDepths(inventory);
  const priority = (g: string) => {
    const p = Number(inventory.groups.get(g)!.vars.ansible_group_priority ?? 1);
    return Number.isFinite(p) ? p : 1;
  };
  return [...inventory.groups.keys()]
    .filter((g) => groupHosts(inventory, g).includes(host))
    .sort((a, b) => depth.get(a)! - depth.get(b)! || priority(a) - priority(b) || byCodePoint(a, b));
}

/** all's vars < groups' (parents before children) < the host's own. */
export function inventoryVars(inventory: Inventory, host: string): Vars {
  const vars: Vars = {};
  for (const g of hostGroups(inventory, host)) Object.assign(vars, inventory.groups.get(g)!.vars);
  Object.assign(vars, inventory.hosts.get(host)?.vars);
  // An ordering of groups, not a var (Ansible does not give it to hosts either).
  delete vars.ansible_group_priority;
  return vars;
}
