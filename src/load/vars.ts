// The vars a step sees on a host. Precedence, lowest first: runbook defaults < the step's scope
// (included runbooks' defaults and include vars) < inventory all < groups (parents before
// children) < host < extra vars. Plus Ansible's magic vars: inventory_hostname, groups,
// group_names, hostvars.

import { UserError } from '../errors.js';
import type { Inventory, Runbook, StepDecl, Vars } from '../model.js';
import { renderValue } from '../template/index.js';
import { hasTemplate } from './step.js';
import { groupHosts, hostGroups, inventoryVars } from './inventory-query.js';
import { defaultsOf, matchesType } from './var-decls.js';

interface PlayView {
  defaults: Vars;
  groups: Record<string, string[]>;
  /** Per host: everything but the step scope and the magic vars. */
  base: Map<string, Vars>;
  hostvars: Record<string, Vars>;
}

// Steps ask for the same host many times: the scope-free part is computed once per play.
const views = new WeakMap<Runbook, WeakMap<Inventory, WeakMap<Vars, PlayView>>>();

function playView(runbook: Runbook, inventory: Inventory, extraVars: Vars): PlayView {
  let byInventory = views.get(runbook);
  if (!byInventory) views.set(runbook, (byInventory = new WeakMap()));
  let byExtra = byInventory.get(inventory);
  if (!byExtra) byInventory.set(inventory, (byExtra = new WeakMap()));
  let view = byExtra.get(extraVars);
  if (view) return view;
  const groups = Object.fromEntries([...inventory.groups.keys()].map((g) => [g, groupHosts(inventory, g)]));
  const defaults = defaultsOf(runbook.vars);
  const base = new Map<string, Vars>();
  const hostvars: Record<string, Vars> = {};
  for (const host of inventory.hosts.keys()) {
    const merged = { ...inventoryVars(inventory, host), ...extraVars };
    checkDeclared(runbook, host, merged);
    base.set(host, merged);
    hostvars[host] = { ...defaults, ...merged, inventory_hostname: host, group_names: groupNames(inventory, host) };
  }
  view = { defaults, groups, base, hostvars };
  byExtra.set(extraVars, view);
  return view;
}

function groupNames(inventory: Inventory, host: string): string[] {
  return hostGroups(inventory, host).filter((g) => g !== 'all' && g !== 'ungrouped');
}

/** Set values must have their declared type (required ones are checked per step: checkRequired). */
function checkDeclared(runbook: Runbook, host: string, vars: Vars): void {
  for (const [name, decl] of Object.entries(runbook.vars)) {
    if (Object.hasOwn(vars, name) && !hasTemplate(vars[name]) && !matchesType(vars[name], decl.type)) {
      throw new UserError('vars', `var "${name}" must be a ${decl.type}, got ${JSON.stringify(vars[name])}`, { pos: decl.pos, host });
    }
  }
}

/**
 * The vars a step requires (StepDecl.required) must be set on each host it runs on: a var that
 * kafka.yaml requires is no business of a host only ZooKeeper steps run on.
 */
export function checkRequired(runbook: Runbook, step: StepDecl, host: string, vars: Vars): void {
  for (const name of step.required ?? []) {
    if (Object.hasOwn(vars, name)) continue;
    throw new UserError('vars', `required var "${name}" is not set`, {
      pos: runbook.vars[name]?.pos ?? step.pos,
      host,
      step: step.name,
      hint: `set it in the inventory (host or group vars) or with -e ${name}=...`,
    });
  }
}

export function hostVars(runbook: Runbook, inventory: Inventory, host: string, extraVars: Vars, scope: Vars = {}): Vars {
  const view = playView(runbook, inventory, extraVars);
  const base = view.base.get(host);
  if (!base) throw new Error(`hostVars: no host ${host} in the inventory`);
  return resolveVarTemplates({
    ...view.defaults,
    ...scope,
    ...base,
    inventory_hostname: host,
    groups: view.groups,
    group_names: view.hostvars[host].group_names,
    hostvars: view.hostvars,
  });
}

/** Set by runbook, never templates themselves (hostvars holds other hosts' raw values). */
const MAGIC = new Set(['inventory_hostname', 'groups', 'group_names', 'hostvars']);
const NOWHERE = { positions: {}, path: '' };

/**
 * Vars whose values are templates (`kafka_home: "/opt/kafka_{{kafka_version}}"`), rendered with
 * the other vars as Ansible does, whatever they refer to through each other. A value that cannot
 * be rendered yet (it names a `register` result still to come, or has a syntax error) stays as it
 * is, to be tried again once more vars are known; a value that only renders to itself (`a: "{{b}}"`,
 * `b: "{{a}}"`) is an error. `data` names vars that are results, never templates (`register`:
 * a command's output may hold braces, as Ansible's "unsafe" values).
 */
/** The vars still holding a template after resolveVarTemplates: they wait for a `register` result. */
export function templatedVars(vars: Vars, data: ReadonlySet<string> = new Set()): string[] {
  return Object.keys(vars).filter((k) => !MAGIC.has(k) && !data.has(k) && hasTemplate(vars[k]));
}

export function resolveVarTemplates(vars: Vars, data: ReadonlySet<string> = new Set()): Vars {
  let pending = templatedVars(vars, data);
  if (pending.length === 0) return vars;
  const out: Vars = { ...vars };
  const render = (name: string): unknown => {
    try {
      return renderValue(out[name], out, NOWHERE);
    } catch {
      return undefined;
    }
  };
  // Each round renders one more level of vars referring to vars, until nothing moves.
  for (let round = 0; round < 16 && pending.length; round++) {
    let moved = false;
    for (const name of pending) {
      const value = render(name);
      if (value === undefined || JSON.stringify(value) === JSON.stringify(out[name])) continue;
      out[name] = value;
      moved = true;
    }
    pending = pending.filter((k) => hasTemplate(out[k]));
    if (!moved) break;
  }
  // What still renders, and to a template again, only ever refers to itself.
  const looping = pending.filter((k) => render(k) !== undefined);
  if (looping.length) {
    const many = looping.length > 1;
    throw new UserError('vars', `var${many ? 's' : ''} ${looping.map((k) => `"${k}"`).join(', ')} refer${many ? '' : 's'} to ${many ? 'each other' : 'itself'}: ${looping.map((k) => `${k}: ${JSON.stringify(vars[k])}`).join(', ')}`, {
      hint: 'one of them must hold a value, not only a reference to another',
    });
  }
  return out;
}
