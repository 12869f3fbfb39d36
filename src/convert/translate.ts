// The values and conditions of an Ansible task in our terms: every string's Jinja translated to
// handlebars, every condition to ours, an error pointing at the string it is in.

import { isScalar, isSeq, type Node } from 'yaml';
import { JinjaError, translateCondition } from './jinja.js';
import { translateText } from './jinja-text.js';
import { child, type AnsibleFile } from './source.js';

/** What a translation needs of the scope it is in: whether the runbook must gather facts. */
export interface FactsUse {
  facts: { used: boolean };
}

export class Untranslatable extends Error {
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(message);
  }
}

export function condition(value: unknown, file: AnsibleFile, node: Node | null, scope: FactsUse): unknown {
  const parts = conditionList(value, file, node, scope);
  if (typeof value === 'boolean') return value;
  return parts.length === 1 ? parts[0] : `and ${parts.map((p) => `(${p})`).join(' ')}`;
}

export function conditionList(value: unknown, file: AnsibleFile, node: Node | null, scope: FactsUse): string[] {
  if (typeof value === 'boolean') return [String(value)];
  return list(value).map((expr) => {
    try {
      const t = translateCondition(expr);
      scope.facts.used ||= t.usesFacts;
      return t.text;
    } catch (e) {
      if (e instanceof JinjaError) throw new Untranslatable(file.at(node), `${e.message} (in "${expr}")`);
      throw e;
    }
  });
}

export function text(value: unknown, file: AnsibleFile, node: Node | null, scope: FactsUse): unknown {
  if (typeof value !== 'string' || !/\{[{%#]/.test(value)) return value;
  try {
    const t = translateText(value, { file: false });
    scope.facts.used ||= t.usesFacts;
    return t.text;
  } catch (e) {
    if (e instanceof JinjaError) throw new Untranslatable(file.at(node, offsetIn(node, value, e.offset)), `${e.message} (in "${value}")`);
    throw e;
  }
}

/** Where an offset in a scalar's value is in the file: exact for a one-line scalar, else its start. */
function offsetIn(node: Node | null, value: string, offset: number): number {
  if (!isScalar(node) || node.value !== value || value.includes('\n')) return 0;
  if (node.type === 'PLAIN') return offset;
  if (node.type === 'QUOTE_SINGLE' && !value.includes("'")) return offset + 1;
  if (node.type === 'QUOTE_DOUBLE' && !/["\\]/.test(value)) return offset + 1;
  return 0;
}

/** Every string under a value translated from Jinja. */
export function deep(value: unknown, file: AnsibleFile, node: Node | null, scope: FactsUse): unknown {
  if (typeof value === 'string') return text(value, file, node, scope);
  // The nodes are walked beside the values, so an error points at the string it is in.
  if (Array.isArray(value)) return value.map((v, i) => deep(v, file, isSeq(node) ? ((node.items[i] as Node) ?? node) : node, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v, file, child(node, k) ?? node, scope)]));
  return value;
}

export const list = (v: unknown): string[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
