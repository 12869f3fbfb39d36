// Ansible host patterns: `all`/`*`, group or host names, globs (`kafka0*`), `~regex`, unions
// (`a:b`, `a,b`), intersections (`a:&b`) and exclusions (`a:!b`). As in Ansible, unions are taken
// first, then intersections, then exclusions. The result keeps inventory order.

import type { Inventory } from '../model.js';
import { groupHosts } from './inventory-query.js';

/** What a pattern is matched against: the hosts in order, the group names, a group's hosts. */
export interface HostUniverse {
  hosts: string[];
  groups: string[];
  members(group: string): string[];
}

export function inventoryUniverse(inventory: Inventory): HostUniverse {
  return { hosts: [...inventory.hosts.keys()], groups: [...inventory.groups.keys()], members: (g) => groupHosts(inventory, g) };
}

/** A shell-style glob (`*`, `?`, `[...]`) as a whole-string regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Hosts one term names; unknown names give none. */
function termHosts(term: string, u: HostUniverse): Set<string> {
  if (term === 'all' || term === '*') return new Set(u.hosts);
  if (u.groups.includes(term)) return new Set(u.members(term));
  if (u.hosts.includes(term)) return new Set([term]);
  const re = term.startsWith('~') ? new RegExp(term.slice(1)) : /[*?[]/.test(term) ? globToRegExp(term) : undefined;
  if (!re) return new Set();
  const hosts = new Set<string>();
  for (const g of u.groups) if (re.test(g)) u.members(g).forEach((h) => hosts.add(h));
  for (const h of u.hosts) if (re.test(h)) hosts.add(h);
  return hosts;
}

export function matchHosts(pattern: string, inventory: Inventory | HostUniverse): string[] {
  const u = 'members' in inventory ? inventory : inventoryUniverse(inventory);
  const terms = pattern
    .split(/[:,]/)
    .map((t) => t.trim())
    .filter(Boolean);
  const union = new Set<string>();
  for (const t of terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))) termHosts(t, u).forEach((h) => union.add(h));
  // A pattern of only exclusions or intersections starts from every host, as Ansible's does.
  const start = terms.some((t) => !t.startsWith('&') && !t.startsWith('!')) ? union : new Set(u.hosts);
  let result = u.hosts.filter((h) => start.has(h));
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = termHosts(t.slice(1), u);
    result = result.filter((h) => keep.has(h));
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) {
    const drop = termHosts(t.slice(1), u);
    result = result.filter((h) => !drop.has(h));
  }
  return result;
}
