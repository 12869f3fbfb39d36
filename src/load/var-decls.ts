// A runbook's `vars:` block. Each var is a plain default (`zk_version: 3.7.1`, type inferred) or a
// declaration `{type, default, description, secret, required}`; a declaration without a default
// is required.

import { isMap, type Node } from 'yaml';
import { UserError } from '../errors.js';
import type { SourcePos, VarDecl, VarType } from '../model.js';
import { issueErrors } from './issues.js';
import { varDeclSchema } from './schema.js';
import { mapEntries } from './step.js';
import { collectPositions, type YamlSource } from './yaml-source.js';

const DECL_KEYS = new Set(['type', 'default', 'description', 'secret', 'required']);

export interface ParsedVars {
  decls: Record<string, VarDecl>;
  /** Where each default value is written, keyed `scope.<name>` (templated defaults render there). */
  defaultPositions: Record<string, SourcePos>;
  errors: UserError[];
}

export function isDeclaration(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => DECL_KEYS.has(k));
}

export function inferType(value: unknown): VarType {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'list';
  if (value && typeof value === 'object') return 'map';
  return 'any';
}

/** True when a value may stand for a var of this type (a template string may stand for anything). */
export function matchesType(value: unknown, type: VarType): boolean {
  if (type === 'any' || (typeof value === 'string' && value.includes('{{'))) return true;
  return inferType(value) === type;
}

export function parseVarDecls(source: YamlSource, node: Node | null | undefined): ParsedVars {
  // Null-prototype maps: a var may be called constructor or toString.
  const out: ParsedVars = { decls: Object.create(null), defaultPositions: {}, errors: [] };
  if (!node) return out;
  if (!isMap(node)) {
    out.errors.push(new UserError('schema', '`vars` must be a mapping of name: default', { pos: source.pos(node) }));
    return out;
  }
  for (const e of mapEntries(node)) {
    const pos = source.pos(e.keyNode);
    const value = source.value(e.value);
    const positions: Record<string, SourcePos> = {};
    collectPositions(source, e.value ?? e.keyNode, 'v', positions);
    let decl: VarDecl;
    let defaultPos = positions.v;
    if (isDeclaration(value)) {
      const parsed = varDeclSchema.safeParse(value);
      if (!parsed.success) {
        out.errors.push(...issueErrors(parsed.error, { positions, prefix: 'v', keyNoun: `key in the declaration of var "${e.key}"`, schema: varDeclSchema }));
        continue;
      }
      const d = parsed.data;
      const hasDefault = 'default' in d;
      if (d.required && hasDefault) {
        out.errors.push(new UserError('schema', `var "${e.key}" is required and has a default`, { pos, hint: 'remove `required: true` or the default' }));
        continue;
      }
      decl = { type: d.type ?? inferType(d.default), default: d.default, description: d.description, secret: d.secret ?? false, required: d.required ?? !hasDefault, pos };
      defaultPos = positions['v.default'] ?? pos;
    } else {
      decl = { type: inferType(value), default: value, secret: false, required: false, pos };
    }
    if (!decl.required && !matchesType(decl.default, decl.type)) {
      out.errors.push(new UserError('schema', `default of var "${e.key}" is not a ${decl.type}`, { pos: defaultPos }));
      continue;
    }
    out.decls[e.key] = decl;
    if (!decl.required) out.defaultPositions[`scope.${e.key}`] = defaultPos;
  }
  return out;
}

export function defaultsOf(decls: Record<string, VarDecl>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(decls).filter(([, d]) => !d.required).map(([name, d]) => [name, d.default]));
}
