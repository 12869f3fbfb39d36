// YAML files parsed with positions: every node can be turned into a file:line:col, every syntax
// error (duplicate keys included) becomes a located UserError.

import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, visit, isAlias, isMap, isSeq, isScalar, isPair, type Document, type Node, type ScalarTag } from 'yaml';
import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { markRevealed, openIfVaulted, openVault } from '../vault/keyring.js';

export interface YamlSource {
  file: string;
  text: string;
  /** sha256 of the file's bytes. */
  hash: string;
  doc: Document.Parsed;
  pos(node: Node | null | undefined): SourcePos;
  /** The plain JS value of a node (anchors and aliases resolved). */
  value(node: Node | null | undefined): unknown;
  /** The node an alias (`*name`) stands for; any other node as it is. */
  deref(node: Node | null | undefined): Node | null;
}

export async function readYamlFile(file: string): Promise<YamlSource> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UserError('file', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {}, { cause: e });
  }
  return parseYamlText(file, bytes.toString('utf8'), createHash('sha256').update(bytes).digest('hex'));
}

/**
 * Plain yes/no/on/off (any of YAML 1.1's spellings) are booleans, as Ansible reads its YAML: a
 * playbook's `become: yes` or `enabled: no` means what its author meant. Quoted, they are text.
 */
const YAML11_BOOL: ScalarTag = {
  identify: (v) => typeof v === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF|[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  resolve: (text) => /^(?:y|on|t)/i.test(text),
};

/**
 * Parses YAML text with positions. Ansible Vault is opened as Ansible opens it: a whole vaulted
 * file (every value in it then a secret), and `!vault |` values anywhere (vault/keyring.ts).
 */
export function parseYamlText(file: string, vaultedText: string, hash: string): YamlSource {
  const { text, vaulted } = openIfVaulted(file, vaultedText);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, customTags: (tags) => [YAML11_BOOL, ...tags] });
  const at = (offset: number): SourcePos => ({ file, ...lineCounter.linePos(offset) });
  const [error] = doc.errors;
  if (error) {
    const message = error.code === 'DUPLICATE_KEY' ? 'duplicate key' : error.message.split('\n')[0];
    throw new UserError('yaml', `YAML: ${message}`, { pos: at(error.pos[0]) });
  }
  visit(doc, {
    Scalar(_key, node) {
      if (node.tag === '!vault') node.value = openVault(String(node.value), 'this value', at(node.range?.[0] ?? 0));
    },
  });
  if (vaulted) markRevealed(doc.toJS());
  return {
    file,
    text,
    hash,
    doc,
    pos: (node) => at(node?.range?.[0] ?? 0),
    deref: (node) => (node == null ? null : isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? null) : node),
    value: (node) => {
      if (node == null) return null;
      try {
        return node.toJS(doc, { maxAliasCount: 100 });
      } catch (e) {
        // yaml throws a plain ReferenceError for an alias bomb ("billion laughs"): the file is at fault.
        if (e instanceof ReferenceError) throw new UserError('yaml', `YAML: ${e.message}`, { pos: at(node.range?.[0] ?? 0), hint: 'expand the aliases by hand, or use fewer of them' });
        throw e;
      }
    },
  };
}

/**
 * Records the position of every value under `node`, keyed by dotted path from `prefix`
 * (`args.content`, `loop.0`): the map the engine and templates use to locate errors.
 */
export function collectPositions(source: YamlSource, node: Node | null | undefined, prefix: string, out: Record<string, SourcePos>): void {
  if (!node) return;
  out[prefix] = source.pos(node);
  const child = (key: string) => (prefix ? `${prefix}.${key}` : key);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (pair.value) collectPositions(source, pair.value as Node, child(key), out);
      else out[child(key)] = source.pos(pair.key as Node);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectPositions(source, item as Node, child(String(i)), out));
  }
}

/** The position recorded for `path`, or for its nearest recorded ancestor. */
export function nearestPosition(positions: Record<string, SourcePos>, path: string): SourcePos | undefined {
  let p = path;
  for (;;) {
    if (positions[p]) return positions[p];
    const dot = p.lastIndexOf('.');
    if (dot < 0) return positions[''];
    p = p.slice(0, dot);
  }
}
