// A Jinja text (a YAML value with `{{ }}`, or a whole template file) to handlebars: `{{ }}`,
// `{% if %}`/`{% elif %}`/`{% else %}`, `{% for %}` over lists and maps, comments, `{% raw %}`,
// whitespace control, and the template module's trim_blocks and final newlines, byte for byte.

import { JinjaError, parse, type Expr } from './jinja-parse.js';
import { Emitter, type Translation } from './jinja.js';

type Piece = { kind: 'text'; text: string } | { kind: 'out'; text: string } | { kind: 'block'; text: string };

/**
 * A Jinja text (a YAML value with `{{ }}`, or a whole template `file`) as handlebars. In a file,
 * as Ansible's template module renders it: the newline after a `{% %}` tag is dropped
 * (trim_blocks), and a test or comparison prints as Python's `True`/`False`. (In a YAML value
 * Ansible turns those back into booleans, and so does our typed rendering of a lone `{{ }}`.)
 */
export function translateText(source: string, options: { file: boolean }): { text: string } & Translation {
  const pieces: Piece[] = [];
  const stack: Array<{ tag: 'if' | 'for'; at: number; loopVars: string[] }> = [];
  const loopVars = new Set<string>();
  let usesFacts = false;
  // Ansible renders a template file without its last newline (Jinja's keep_trailing_newline off),
  // then pads the output to the newlines the file ends with. That differs from rendering the
  // newlines as text only when a tag comes right before them (trim_blocks would take one).
  const endNewlines = options.file ? /(?:\}\}|%\}|#\})(\n+)$/.exec(source)?.[1].length ?? 0 : 0;
  const src = endNewlines > 0 ? source.slice(0, -1) : source;
  /** One expression as handlebars, in the loops open where it stands. */
  const emit = (exprSrc: string, at: number) => {
    const e = new Emitter(loopVars);
    const expr = parse(exprSrc, at);
    const call = e.call(expr);
    usesFacts ||= e.usesFacts;
    return { expr, call, arg: call.kind === 'call' ? `(${call.text})` : call.text };
  };
  let i = 0;
  let stripNext = false;
  const pushText = (text: string) => {
    if (text) pieces.push({ kind: 'text', text });
  };
  while (i < src.length) {
    const open = /\{[{%#]/g;
    open.lastIndex = i;
    const m = open.exec(src);
    let text = src.slice(i, m ? m.index : src.length);
    if (stripNext) text = text.replace(/^\s+/, '');
    stripNext = false;
    if (!m) {
      pushText(text);
      break;
    }
    const kind = m[0][1];
    const close = kind === '{' ? '}}' : kind === '%' ? '%}' : '#}';
    const end = src.indexOf(close, m.index + 2);
    if (end < 0) throw new JinjaError(`"${m[0]}" without its "${close}"`, m.index);
    let inner = src.slice(m.index + 2, end);
    let innerAt = m.index + 2;
    if (inner.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
      innerAt++;
    } else if (inner.startsWith('+')) {
      inner = inner.slice(1);
      innerAt++;
    }
    if (inner.endsWith('-')) {
      stripNext = true;
      inner = inner.slice(0, -1);
    } else if (inner.endsWith('+')) inner = inner.slice(0, -1);
    pushText(text);
    i = end + 2;
    if (kind === '#') {
      if (options.file && src[i] === '\n') i++;
      continue;
    }
    if (kind === '{') {
      const { expr, call, arg } = emit(inner, innerAt);
      if (call.kind === 'lit') pieces.push({ kind: 'text', text: literalText(expr) });
      else if (options.file && isBoolean(expr)) pieces.push({ kind: 'out', text: `{{#if ${arg}}}True{{else}}False{{/if}}` });
      else pieces.push({ kind: 'out', text: `{{${call.text}}}` });
      continue;
    }
    // A statement: if / elif / else / endif / for / endfor.
    const stmt = /^\s*([a-z]+)\b\s*(.*?)\s*$/s.exec(inner);
    const word = stmt?.[1] ?? '';
    const rest = stmt?.[2] ?? '';
    const restAt = innerAt + inner.indexOf(rest);
    const cond = () => emit(rest, restAt).arg;
    if (word === 'if') {
      stack.push({ tag: 'if', at: m.index, loopVars: [] });
      pieces.push({ kind: 'block', text: `{{#if ${cond()}}}` });
    } else if (word === 'elif' || word === 'else') {
      if (stack.at(-1)?.tag !== 'if') throw new JinjaError(`"${word}" outside an if (an else of a for is not translated)`, m.index);
      pieces.push({ kind: 'block', text: word === 'elif' ? `{{else if ${cond()}}}` : '{{else}}' });
    } else if (word === 'endif' || word === 'endfor') {
      const top = stack.pop();
      if (!top || `end${top.tag}` !== word) throw new JinjaError(`"${word}" without its opening tag`, m.index);
      for (const v of top.loopVars) loopVars.delete(v);
      pieces.push({ kind: 'block', text: top.tag === 'if' ? '{{/if}}' : '{{/each}}' });
    } else if (word === 'for') {
      const f = /^([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+(.+)$/s.exec(rest);
      if (!f) throw new JinjaError('expected "for x in list" or "for k, v in map.items()"', restAt);
      const [, first, second, iterable] = f;
      const items = /^(.*)\.items\(\)\s*$/s.exec(iterable);
      if (second && !items) throw new JinjaError('"for k, v in" is translated over map.items() only', restAt);
      if (/\s(?:if|recursive)\s/.test(` ${iterable} `) && !items) throw new JinjaError('cannot translate a filtered or recursive for', restAt);
      const listSrc = items ? items[1] : iterable;
      const list = emit(listSrc, restAt + rest.indexOf(listSrc)).arg;
      const bound = second ? [first, second] : [first];
      stack.push({ tag: 'for', at: m.index, loopVars: bound });
      bound.forEach((v) => loopVars.add(v));
      pieces.push({ kind: 'block', text: second ? `{{#each ${list} as |${second} ${first}|}}` : `{{#each ${list} as |${first}|}}` });
    } else if (word === 'raw') {
      const endRaw = /\{%-?\s*endraw\s*-?%\}/g;
      endRaw.lastIndex = i;
      const r = endRaw.exec(src);
      if (!r) throw new JinjaError('"raw" without its "endraw"', m.index);
      pushText(src.slice(i, r.index));
      i = r.index + r[0].length;
    } else throw new JinjaError(`cannot translate the statement "${word || inner.trim()}"`, m.index);
    if (options.file && !stripNext && src[i] === '\n') i++;
  }
  const unclosed = stack.pop();
  if (unclosed) throw new JinjaError(`"${unclosed.tag}" without its "end${unclosed.tag}"`, unclosed.at);
  if (endNewlines > 0) pieces.unshift({ kind: 'block', text: `{{#trailing_newlines ${endNewlines}}}` }), pieces.push({ kind: 'block', text: '{{/trailing_newlines}}' });
  return { text: render(pieces), usesFacts };
}

/** Whether an expression's value is always a boolean (and/or give one of their operands, as in Python). */
function isBoolean(e: Expr): boolean {
  return e.k === 'not' || e.k === 'test' || (e.k === 'bin' && !['and', 'or', '~'].includes(e.op));
}

function literalText(expr: Expr): string {
  const value = (expr as { value: unknown }).value;
  return value === null ? 'None' : value === true ? 'True' : value === false ? 'False' : String(value);
}

/**
 * The pieces as handlebars source. Literal `{{` is escaped. A block tag alone on its line would be
 * "standalone" to handlebars, which then drops the line's indent and newline that Jinja keeps: an
 * empty comment beside it keeps the bytes as Jinja renders them.
 */
function render(pieces: Piece[]): string {
  let out = '';
  pieces.forEach((p, n) => {
    if (p.kind === 'text') {
      out += p.text.replace(/\{\{/g, '\\{{');
      return;
    }
    out += p.text;
    if (p.kind !== 'block') return;
    const prev = pieces[n - 1];
    const next = pieces[n + 1];
    const startOfLine = !prev ? true : prev.kind === 'text' && /(^|\n)[ \t]*$/.test(prev.text) && (prev.text.includes('\n') || !pieces[n - 2]);
    const endOfLine = !next ? true : next.kind === 'text' && /^[ \t]*(\r?\n|$)/.test(next.text);
    if (startOfLine && endOfLine) out += '{{!}}';
  });
  return out;
}
