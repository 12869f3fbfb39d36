// A task's arguments as a table for `runbook doc`: name, type, default, description, from the
// JSON Schema zod derives from the task's args (each argument's `.describe()` is its description).

import { z } from 'zod';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  required?: string[];
  default?: unknown;
  description?: string;
  pattern?: string;
  format?: string;
};

export interface ArgRow {
  name: string;
  type: string;
  required: boolean;
  default?: string;
  description: string;
}

export function argRows(args: z.ZodType): ArgRow[] {
  const schema = objectOf(z.toJSONSchema(args, { unrepresentable: 'any', io: 'input' }) as Schema);
  const required = new Set(schema?.required ?? []);
  return Object.entries(schema?.properties ?? {}).map(([name, s]) => ({
    name,
    type: typeOf(s),
    required: required.has(name),
    default: s.default === undefined ? undefined : JSON.stringify(s.default),
    description: descriptionOf(s),
  }));
}

/** The object schema of the args (a union of objects shows its first branch's keys merged with the others'). */
function objectOf(s: Schema): Schema | undefined {
  if (s.properties) return s;
  const branches = s.anyOf ?? s.oneOf ?? s.allOf;
  if (!branches) return undefined;
  const objects = branches.map(objectOf).filter((b): b is Schema => b !== undefined);
  return { properties: Object.assign({}, ...objects.map((o) => o.properties)), required: objects.length === 1 ? objects[0].required : [] };
}

function typeOf(s: Schema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return [...new Set(branches.map(typeOf))].join(' | ');
  if (s.type === 'array') return s.items ? `list of ${wrap(typeOf(s.items))}` : 'list';
  if (s.type === 'object') return s.additionalProperties && typeof s.additionalProperties === 'object' ? `map of ${wrap(typeOf(s.additionalProperties))}` : 'mapping';
  if (s.type === 'integer') return 'integer';
  if (Array.isArray(s.type)) return s.type.join(' | ');
  return s.type ?? 'any';
}

const wrap = (t: string) => (t.includes(' | ') ? `(${t})` : t);

function descriptionOf(s: Schema): string {
  if (s.description) return s.description;
  const branches = s.anyOf ?? s.oneOf;
  return branches?.map((b) => b.description).find((d) => d !== undefined) ?? '';
}

/** Rows as aligned text columns, the description wrapped to the terminal's width. */
export function formatArgTable(rows: ArgRow[], width = 100): string[] {
  if (rows.length === 0) return ['  (no arguments)'];
  const cells = rows.map((r) => [r.name + (r.required ? ' *' : ''), r.type, r.default ?? '', r.description]);
  const header = ['argument', 'type', 'default', 'description'];
  const widths = [0, 1, 2].map((i) => Math.min(Math.max(header[i].length, ...cells.map((c) => c[i].length)), 36));
  const lead = widths.reduce((a, w) => a + w + 2, 2);
  const descWidth = Math.max(30, width - lead);
  const line = (c: string[]) => {
    const [first, ...rest] = wrapText(c[3], descWidth);
    const head = '  ' + c.slice(0, 3).map((v, i) => v.padEnd(widths[i])).join('  ') + '  ' + (first ?? '');
    return [head.trimEnd(), ...rest.map((l) => ' '.repeat(lead) + l)];
  };
  return [...line(header), ...cells.flatMap(line), '', '  * required'];
}

function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}
