// The helpers a config file needs. Data helpers read the play's view of the inventory from the
// root vars (`groups`, `hostvars`, set by hostVars), so templates need nothing else passed in.

import type { HelperOptions } from 'handlebars';
import { matchHosts } from '../load/patterns.js';
import { isTruthy } from './truthy.js';

export class HelperError extends Error {}

type Helper = (...args: unknown[]) => unknown;

/** Handlebars passes its options object as the last argument of every helper call. */
function split(args: unknown[]): { values: unknown[]; options: HelperOptions } {
  return { values: args.slice(0, -1), options: args[args.length - 1] as HelperOptions };
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // INI and -e values may be numbers where YAML wrote strings (and the reverse).
  const scalar = (v: unknown) => typeof v === 'number' || typeof v === 'string';
  return scalar(a) && scalar(b) && String(a) === String(b);
}

function indentText(text: string, n: unknown): string {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new HelperError(`indent: expected a count of spaces, got ${JSON.stringify(n)}`);
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : pad + line))
    .join('\n');
}

export const helpers: Record<string, Helper> = {
  join(...args) {
    const { values } = split(args);
    const [list, sep = ','] = values;
    if (!Array.isArray(list)) throw new HelperError(`join: expected a list, got ${describe(list)}`);
    return list.join(String(sep));
  },
  default(...args) {
    const [value, fallback] = split(args).values;
    return value === undefined || value === null || value === '' ? fallback : value;
  },
  eq: (...args) => {
    const [a, b] = split(args).values;
    return looselyEqual(a, b);
  },
  ne: (...args) => {
    const [a, b] = split(args).values;
    return !looselyEqual(a, b);
  },
  /** Whether a list holds a value (Jinja's `in`): `(in "kafka" group_names)`. */
  in: (...args) => {
    const [item, list] = split(args).values;
    return Array.isArray(list) && list.some((v) => looselyEqual(v, item));
  },
  and: (...args) => split(args).values.every(isTruthy),
  or: (...args) => split(args).values.some(isTruthy),
  not: (...args) => !isTruthy(split(args).values[0]),
  gt: (...args) => {
    const [a, b] = split(args).values;
    return Number(a) > Number(b);
  },
  lt: (...args) => {
    const [a, b] = split(args).values;
    return Number(a) < Number(b);
  },
  /** `{{concat "/kafka/" kafka_version "/"}}`: the values as one string (Jinja's `~`). */
  concat: (...args) => split(args).values.map(String).join(''),
  /** `{{suffix mirrors "/kafka/3.5.1/k.tgz"}}`: every string of a list with the text appended (mirror lists). */
  suffix(...args) {
    const [list, text] = split(args).values;
    if (!Array.isArray(list)) throw new HelperError(`suffix: expected a list, got ${describe(list)}`);
    return list.map((item) => `${String(item)}${String(text)}`);
  },
  to_json: (...args) => JSON.stringify(split(args).values[0]),
  // Jinja's filters of the same names, as `runbook convert` translates them (`x | upper`).
  upper: (...args) => String(split(args).values[0]).toUpperCase(),
  lower: (...args) => String(split(args).values[0]).toLowerCase(),
  trim: (...args) => String(split(args).values[0]).trim(),
  /** Jinja's `int`: the number a value starts with, 0 when it has none. */
  int(...args) {
    const n = Number.parseInt(String(split(args).values[0]), 10);
    return Number.isNaN(n) ? 0 : n;
  },
  /** Ansible's `bool`: yes, on, true, 1 (any case) are true; everything else false. */
  bool(...args) {
    const value = split(args).values[0];
    return value === true || /^(?:yes|on|true|1)$/i.test(String(value).trim());
  },
  /** The count of a list's items, a map's keys or a string's characters (Jinja's `length`). */
  length(...args) {
    const value = split(args).values[0];
    if (Array.isArray(value) || typeof value === 'string') return value.length;
    if (value && typeof value === 'object') return Object.keys(value).length;
    throw new HelperError(`length: expected a list, a map or text, got ${describe(value)}`);
  },
  /**
   * `{{#trailing_newlines 1}}...{{/trailing_newlines}}`: the text, ending in at least n newlines.
   * Ansible's template module pads its output so, to the newlines the template file ends with;
   * `runbook convert` wraps a template whose last tag would otherwise take them.
   */
  trailing_newlines(this: unknown, ...args) {
    const { values, options } = split(args);
    const text = options.fn(this);
    const want = Number(values[0]);
    const have = /\n*$/.exec(text)![0].length;
    return have >= want ? text : text + '\n'.repeat(want - have);
  },
  /** Whether a var is set at all (Jinja's `is defined`): `(defined x)` never fails on a missing x. */
  defined: (...args) => split(args).values[0] !== undefined,
  /** `{{indent 4 text}}` or `{{#indent 4}}...{{/indent}}`: every non-blank line indented by n spaces. */
  indent(this: unknown, ...args) {
    const { values, options } = split(args);
    const text = options.fn ? options.fn(this) : values[1];
    if (typeof text !== 'string') throw new HelperError(`indent: expected text, got ${describe(text)}`);
    return indentText(text, values[0]);
  },
  /**
   * The hosts of a group in inventory order, each `{ name, ...its vars }`. Any host pattern works
   * as the group (`kafka:!kafka04`, `kafka0*`): the hosts it matches.
   */
  group_hosts(...args) {
    const { values, options } = split(args);
    const root = options.data?.root as { hostvars?: Record<string, Record<string, unknown>> };
    return patternHosts('group_hosts', values[0], options).map((name) => ({ ...root?.hostvars?.[name], name }));
  },
  /** The names of the hosts a pattern matches, in inventory order (Ansible's `query('inventory_hostnames', pattern)`). */
  inventory_hostnames(...args) {
    const { values, options } = split(args);
    return patternHosts('inventory_hostnames', values[0], options);
  },
};

/** The hosts `pattern` matches among the inventory's (`groups` and `hostvars` of the render). */
function patternHosts(helper: string, value: unknown, options: HelperOptions): string[] {
  const pattern = String(value);
  const root = options.data?.root as { groups?: Record<string, string[]>; hostvars?: Record<string, Record<string, unknown>> };
  const groups = root?.groups ?? {};
  const known = Object.keys(groups).join(', ');
  const hosts = Object.keys(root?.hostvars ?? {});
  const isName = (term: string) => term in groups || hosts.includes(term) || term === 'all' || term === '*';
  // A plain name that is no group and no host is a typo, not a pattern that matches nothing.
  if (/^[\w.-]+$/.test(pattern) && !isName(pattern)) {
    throw new HelperError(`${helper}: no group "${pattern}" in the inventory${known ? ` (groups: ${known})` : ''}`);
  }
  return matchHosts(pattern, { hosts, groups: Object.keys(groups), members: (g) => groups[g] ?? [] });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (undefined)';
  return Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)}`;
}
