// Ansible host patterns: `all`/`*`, group or host names, globs (`kafka0*`), `~regex`, unions
// (`a:b`, `a,b`), intersections (`a:&b`) and exclusions (`a:!b`). As in Ansible, unions are taken
// first, then intersections, then exclusions. The result keeps inventory order.

import type { Inventory } from '../model.js';
import { groupHosts } from './inventory-query.js';

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Hosts one term names; unknown names give none. */
function termHosts(term: string, inventory: Inventory): Set<string> {
  if (term === 'all' || term === '*') return new Set(inventory.hosts.keys());
  if (inventory.groups.has(term)) return new Set(groupHosts(inventory, term));
  if (inventory.hosts.has(term)) return new Set([term]);
  const re = term.startsWith('~') ? new RegExp(term.slice(1)) : /[*?[]/.test(term) ? globToRegExp(term) : undefined;
  if (!re) return new Set();
  const hosts = new Set<string>();
  for (const g of inventory.groups.keys()) if (re.test(g)) groupHosts(inventory, g).forEach((h) => hosts.add(h));
  for (const h of inventory.hosts.keys()) if (re.test(h)) hosts.add(h);
  return hosts;
}

export function matchHosts(pattern: string, inventory: Inventory): string[] {
  const terms = pattern
    .split(/[:,]/)
    .map((t) => t.trim())
    .filter(Boolean);
  const union = new Set<string>();
  for (const t of terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))) termHosts(t, inventory).forEach((h) => union.add(h));
  // A pattern of only exclusions or intersections starts from every host, as Ansible's does.
  const start = terms.some((t) => !t.startsWith('&') && !t.startsWith('!')) ? union : new Set(inventory.hosts.keys());
  let result = [...inventory.hosts.keys()].filter((h) => start.has(h));
  for (const t of terms.filter((t) => t.startsWith('&'))) {
    const keep = termHosts(t.slice(1), inventory);
    result = result.filter((h) => keep.has(h));
  }
  for (const t of terms.filter((t) => t.startsWith('!'))) {
    const drop = termHosts(t.slice(1), inventory);
    result = result.filter((h) => !drop.has(h));
  }
  return result;
}
