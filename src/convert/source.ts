// The Ansible side of `runbook convert`: YAML files read as Ansible reads them (YAML 1.1: `yes` is
// true), each node with its file:line:col, and the list of what could not be translated.

import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { UserError } from '../errors.js';

export interface AnsibleFile {
  path: string;
  text: string;
  root: Node | null;
  at(node: Node | null | undefined, offset?: number): string;
}

export async function readAnsibleYaml(path: string, cwd: string): Promise<AnsibleFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError('config', `cannot read ${relative(cwd, path) || path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, prettyErrors: false });
  const shown = relative(cwd, path) || path;
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const { line, col } = lines.linePos(err.pos[0]);
    throw new UserError('schema', `${shown}:${line}:${col}: not YAML: ${err.message.split('\n')[0]}`);
  }
  return {
    path,
    text,
    root: (doc.contents as Node | null) ?? null,
    at(node, offset = 0) {
      const start = (node?.range?.[0] ?? 0) + offset;
      const { line, col } = lines.linePos(start);
      return `${shown}:${line}:${col}`;
    },
  };
}

/** A node as plain data (YAML 1.1 booleans already read as booleans). */
export function plain(node: Node | null | undefined): unknown {
  if (!node) return null;
  return (node as Node & { toJSON(): unknown }).toJSON();
}

/** The value node under a key of a mapping node. */
export function child(node: Node | null | undefined, key: string): Node | null {
  if (!isMap(node)) return null;
  const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  return (pair?.value as Node | undefined) ?? null;
}

/** The keys of a mapping node, in order, with their nodes. */
export function entries(node: Node | null | undefined): Array<{ key: string; keyNode: Node; value: Node | null }> {
  if (!isMap(node)) return [];
  return node.items.flatMap((p) => (isScalar(p.key) ? [{ key: String(p.key.value), keyNode: p.key as Node, value: (p.value as Node | null) ?? null }] : []));
}

export interface Untranslated {
  /** file:line:col */
  at: string;
  message: string;
}
