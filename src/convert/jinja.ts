// Jinja, as Ansible playbooks and templates write it, to our handlebars: the common subset only
// (names and attributes, literals, `== != < > <= >= in not and or ~`, the tests `defined`,
// `undefined`, `none`, `changed`, `failed`, `succeeded`, `skipped`, and the filters `default`,
// `join`, `upper`, `lower`, `trim`, `int`, `bool`, `length`, `to_json`, `string`; in templates
// `{% if %}`/`{% elif %}`/`{% else %}`, `{% for %}` and comments). Anything else is a JinjaError
// at its offset in the source, never a guess: `runbook convert` lists it and leaves the step failing.

export class JinjaError extends Error {
  constructor(
    message: string,
    /** Offset in the source text the error is at. */
    readonly offset: number,
  ) {
    super(message);
  }
}

type Expr =
  | { k: 'name'; name: string; at: number }
  | { k: 'lit'; value: string | number | boolean | null; at: number }
  | { k: 'attr'; obj: Expr; key: string | number; at: number }
  | { k: 'list'; items: Expr[]; at: number }
  | { k: 'filter'; name: string; arg: Expr; args: Expr[]; at: number }
  | { k: 'test'; name: string; negated: boolean; arg: Expr; at: number }
  | { k: 'bin'; op: string; l: Expr; r: Expr; at: number }
  | { k: 'not'; e: Expr; at: number };

interface Token {
  t: 'name' | 'num' | 'str' | 'op' | 'end';
  v: string;
  at: number;
}

const OPS = ['==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', '.', ',', '|', '~', '+', '-', '*', '/', '%', ':', '{', '}', '='];

function tokenize(src: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = base + i;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (word) {
      tokens.push({ t: 'name', v: word[0], at });
      i += word[0].length;
      continue;
    }
    const num = /^\d+(?:\.\d+)?/.exec(src.slice(i));
    if (num) {
      tokens.push({ t: 'num', v: num[0], at });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const next = src[j + 1];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          j += 2;
        } else value += src[j++];
      }
      if (j >= src.length) throw new JinjaError('a string without its closing quote', at);
      tokens.push({ t: 'str', v: value, at });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new JinjaError(`unexpected character ${JSON.stringify(c)}`, at);
    tokens.push({ t: 'op', v: op, at });
    i += op.length;
  }
  tokens.push({ t: 'end', v: '', at: base + src.length });
  return tokens;
}

/** Jinja's expression grammar, precedence climbing from `or` down to a primary with its postfixes. */
class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'name' && t.v === v;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v || (t.t !== 'op' && t.t !== 'name')) throw new JinjaError(`expected "${v}", found ${t.t === 'end' ? 'the end' : JSON.stringify(t.v)}`, t.at);
  }

  parseAll(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.t !== 'end') {
      const what = t.t === 'name' && t.v === 'if' ? 'an inline if (x if c else y)' : JSON.stringify(t.v);
      throw new JinjaError(`cannot translate ${what} here`, t.at);
    }
    return e;
  }

  private or(): Expr {
    let l = this.and();
    while (this.isWord('or')) {
      const at = this.next().at;
      l = { k: 'bin', op: 'or', l, r: this.and(), at };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.isWord('and')) {
      const at = this.next().at;
      l = { k: 'bin', op: 'and', l, r: this.not(), at };
    }
    return l;
  }
  private not(): Expr {
    if (this.isWord('not')) {
      const at = this.next().at;
      return { k: 'not', e: this.not(), at };
    }
    return this.compare();
  }
  private compare(): Expr {
    let l = this.concat();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(t.v)) {
        this.next();
        l = { k: 'bin', op: t.v, l, r: this.concat(), at: t.at };
      } else if (t.t === 'name' && t.v === 'in') {
        this.next();
        l = { k: 'bin', op: 'in', l, r: this.concat(), at: t.at };
      } else if (t.t === 'name' && t.v === 'not' && this.tokens[this.i + 1]?.v === 'in') {
        this.i += 2;
        l = { k: 'not', e: { k: 'bin', op: 'in', l, r: this.concat(), at: t.at }, at: t.at };
      } else if (t.t === 'name' && t.v === 'is') {
        this.next();
        const negated = this.isWord('not') ? (this.next(), true) : false;
        const name = this.next();
        if (name.t !== 'name') throw new JinjaError('expected the name of a test after "is"', name.at);
        if (this.isOp('(')) throw new JinjaError(`cannot translate the test "${name.v}" with arguments`, name.at);
        l = { k: 'test', name: name.v, negated, arg: l, at: name.at };
      } else return l;
    }
  }
  private concat(): Expr {
    let l = this.arith();
    while (this.isOp('~')) {
      const at = this.next().at;
      l = { k: 'bin', op: '~', l, r: this.arith(), at };
    }
    return l;
  }
  private arith(): Expr {
    const l = this.filtered();
    const t = this.peek();
    if (t.t === 'op' && ['+', '-', '*', '/', '%'].includes(t.v)) throw new JinjaError(`cannot translate arithmetic ("${t.v}")`, t.at);
    return l;
  }
  private filtered(): Expr {
    let e = this.postfix(this.primary());
    while (this.isOp('|')) {
      this.next();
      const name = this.next();
      if (name.t !== 'name') throw new JinjaError('expected the name of a filter after "|"', name.at);
      const args: Expr[] = [];
      if (this.isOp('(')) {
        this.next();
        while (!this.isOp(')')) {
          if (this.peek().t === 'name' && this.tokens[this.i + 1]?.v === '=') throw new JinjaError(`cannot translate the keyword argument of "${name.v}"`, this.peek().at);
          args.push(this.or());
          if (!this.isOp(')')) this.expect(',');
        }
        this.next();
      }
      e = { k: 'filter', name: name.v, arg: e, args, at: name.at };
    }
    return e;
  }
  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const key = this.next();
        if (key.t !== 'name' && key.t !== 'num') throw new JinjaError('expected an attribute name after "."', key.at);
        e = { k: 'attr', obj: e, key: key.t === 'num' ? Number(key.v) : key.v, at: key.at };
      } else if (this.isOp('[')) {
        const at = this.next().at;
        const key = this.next();
        if (key.t !== 'str' && key.t !== 'num') throw new JinjaError('cannot translate a subscript that is not a literal string or number', key.at);
        this.expect(']');
        e = { k: 'attr', obj: e, key: key.t === 'num' ? Number(key.v) : key.v, at };
      } else if (this.isOp('(')) {
        throw new JinjaError('cannot translate a call (a method or a function)', this.peek().at);
      } else return e;
    }
  }
  private primary(): Expr {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', value: Number(t.v), at: t.at };
    if (t.t === 'str') return { k: 'lit', value: t.v, at: t.at };
    if (t.t === 'name') {
      if (/^(?:true|True)$/.test(t.v)) return { k: 'lit', value: true, at: t.at };
      if (/^(?:false|False)$/.test(t.v)) return { k: 'lit', value: false, at: t.at };
      if (/^(?:none|None)$/.test(t.v)) return { k: 'lit', value: null, at: t.at };
      if (['lookup', 'query', 'q', 'range'].includes(t.v) && this.isOp('(')) throw new JinjaError(`cannot translate ${t.v}(...)`, t.at);
      return { k: 'name', name: t.v, at: t.at };
    }
    if (t.t === 'op' && t.v === '(') {
      const e = this.or();
      this.expect(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        items.push(this.or());
        if (!this.isOp(']')) this.expect(',');
      }
      this.next();
      return { k: 'list', items, at: t.at };
    }
    if (t.t === 'op' && t.v === '{') throw new JinjaError('cannot translate a dict literal', t.at);
    throw new JinjaError(t.t === 'end' ? 'the expression ends too early' : `unexpected ${JSON.stringify(t.v)}`, t.at);
  }
}

/** Ansible's gathered facts we have (tasks/facts.ts reports them under these names). */
export const FACT_NAMES = new Set([
  'os_family',
  'distribution',
  'distribution_version',
  'distribution_major_version',
  'architecture',
  'hostname',
  'memtotal_mb',
  'processor_vcpus',
  'service_mgr',
]);

/** Our var `convert` binds the facts to, as `register: ansible_facts` on a facts step. */
export const FACTS_VAR = 'ansible_facts';

export interface Translation {
  /** Whether the text reads Ansible's facts: the runbook then gathers them first. */
  usesFacts: boolean;
}

const FILTERS: Record<string, { helper: string; args: number[]; fill?: string[] }> = {
  default: { helper: 'default', args: [0, 1, 2], fill: ['""'] },
  d: { helper: 'default', args: [0, 1, 2], fill: ['""'] },
  join: { helper: 'join', args: [0, 1], fill: ['""'] },
  upper: { helper: 'upper', args: [0] },
  lower: { helper: 'lower', args: [0] },
  trim: { helper: 'trim', args: [0] },
  int: { helper: 'int', args: [0] },
  bool: { helper: 'bool', args: [0] },
  length: { helper: 'length', args: [0] },
  count: { helper: 'length', args: [0] },
  to_json: { helper: 'to_json', args: [0] },
  string: { helper: 'concat', args: [0] },
};

/** Tests on a registered result that read its field of the same name. */
const RESULT_TESTS = new Set(['changed', 'failed', 'skipped']);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Translates one parsed expression; `loopVars` are the names a template's `{% for %}` binds. */
class Emitter {
  usesFacts = false;
  constructor(private readonly loopVars: ReadonlySet<string>) {}

  /** The expression as a handlebars argument: a path, a literal or a parenthesized call. */
  arg(e: Expr): string {
    const call = this.call(e);
    return call.kind === 'call' ? `(${call.text})` : call.text;
  }

  /** The expression as the inside of a mustache: `eq a "b"`, `a.b`, `"text"`. */
  call(e: Expr): { kind: 'path' | 'lit' | 'call'; text: string } {
    switch (e.k) {
      case 'lit':
        return { kind: 'lit', text: e.value === null ? 'null' : typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value) };
      case 'name':
      case 'attr': {
        const path = this.path(e);
        if (path) return { kind: 'path', text: path };
        if (e.k === 'name') throw new JinjaError(`cannot translate the name "${e.name}"`, e.at);
        return { kind: 'call', text: `lookup ${this.arg(e.obj)} ${typeof e.key === 'number' ? e.key : JSON.stringify(e.key)}` };
      }
      case 'list':
        throw new JinjaError('cannot translate a list literal here (put the list in a var)', e.at);
      case 'not':
        return { kind: 'call', text: `not ${this.arg(e.e)}` };
      case 'filter': {
        const f = FILTERS[e.name];
        if (!f) throw new JinjaError(`cannot translate the filter "${e.name}"`, e.at);
        if (e.args.length > f.args.length - 1) throw new JinjaError(`the filter "${e.name}" takes at most ${f.args.length - 1} argument(s) here`, e.at);
        // default's second argument (also replace empty values) is what our default always does.
        const given = f.helper === 'default' ? e.args.slice(0, 1) : e.args;
        const args = [this.arg(e.arg), ...given.map((a) => this.arg(a))];
        while (args.length < Math.min(f.args.length, 2)) args.push(f.fill?.[args.length - 1] ?? '""');
        return { kind: 'call', text: `${f.helper} ${args.join(' ')}` };
      }
      case 'test': {
        if (e.name === 'defined' || e.name === 'undefined') {
          const path = this.path(e.arg);
          if (!path) throw new JinjaError(`"is ${e.name}" is translated only on a var or its attribute`, e.at);
          const defined = `defined ${path}`;
          return { kind: 'call', text: (e.name === 'defined') === !e.negated ? defined : `not (${defined})` };
        }
        const rewritten = this.testAsExpr(e);
        return this.call(e.negated ? { k: 'not', e: rewritten, at: e.at } : rewritten);
      }
      case 'bin': {
        if (e.op === 'and' || e.op === 'or') {
          const operands = [...this.flatten(e, e.op)].map((x) => this.arg(x));
          return { kind: 'call', text: `${e.op} ${operands.join(' ')}` };
        }
        if (e.op === '~') return { kind: 'call', text: `concat ${[...this.flatten(e, '~')].map((x) => this.arg(x)).join(' ')}` };
        if (e.op === 'in') {
          if (e.r.k === 'list') return { kind: 'call', text: `or ${e.r.items.map((item) => `(eq ${this.arg(e.l)} ${this.arg(item)})`).join(' ')}` };
          return { kind: 'call', text: `in ${this.arg(e.l)} ${this.arg(e.r)}` };
        }
        const [l, r] = [this.arg(e.l), this.arg(e.r)];
        const op: Record<string, string> = { '==': `eq ${l} ${r}`, '!=': `ne ${l} ${r}`, '<': `lt ${l} ${r}`, '>': `gt ${l} ${r}`, '<=': `not (gt ${l} ${r})`, '>=': `not (lt ${l} ${r})` };
        return { kind: 'call', text: op[e.op] };
      }
    }
  }

  private *flatten(e: Expr, op: string): Generator<Expr> {
    if (e.k === 'bin' && e.op === op) {
      yield* this.flatten(e.l, op);
      yield* this.flatten(e.r, op);
    } else yield e;
  }

  /** `x is none`, `r is changed`, ... as the plain expression they stand for. */
  private testAsExpr(e: Extract<Expr, { k: 'test' }>): Expr {
    const attr = (key: string): Expr => ({ k: 'attr', obj: e.arg, key, at: e.at });
    if (e.name === 'none') return { k: 'bin', op: '==', l: e.arg, r: { k: 'lit', value: null, at: e.at }, at: e.at };
    if (RESULT_TESTS.has(e.name)) return attr(e.name);
    if (e.name === 'succeeded' || e.name === 'success') return { k: 'not', e: attr('failed'), at: e.at };
    throw new JinjaError(`cannot translate the test "${e.name}"`, e.at);
  }

  /** A name or attribute chain as a handlebars path (`a.b.[0]`), or undefined when it is none. */
  private path(e: Expr): string | undefined {
    if (e.k === 'name') {
      if (e.name === 'loop') return undefined;
      if (e.name.startsWith('ansible_') && FACT_NAMES.has(e.name.slice('ansible_'.length))) {
        this.usesFacts = true;
        return `${FACTS_VAR}.${e.name.slice('ansible_'.length)}`;
      }
      if (e.name === FACTS_VAR) this.usesFacts = true;
      return e.name;
    }
    if (e.k !== 'attr') return undefined;
    if (e.obj.k === 'name' && e.obj.name === 'loop' && this.loopVars.size > 0) {
      const meta: Record<string, string> = { index0: '@index', first: '@first', last: '@last' };
      if (typeof e.key === 'string' && meta[e.key]) return meta[e.key];
      throw new JinjaError(`cannot translate loop.${e.key} (loop.index0, loop.first and loop.last are)`, e.at);
    }
    if (e.obj.k === 'name' && e.obj.name === FACTS_VAR && typeof e.key === 'string' && !FACT_NAMES.has(e.key)) {
      throw new JinjaError(`the fact "${e.key}" is not gathered (${[...FACT_NAMES].join(', ')} are)`, e.at);
    }
    const obj = this.path(e.obj);
    if (obj === undefined) return undefined;
    if (typeof e.key === 'number') return `${obj}.[${e.key}]`;
    return IDENT.test(e.key) ? `${obj}.${e.key}` : /[\]\s]/.test(e.key) ? undefined : `${obj}.[${e.key}]`;
  }
}

function parse(src: string, base: number): Expr {
  return new Parser(tokenize(src, base)).parseAll();
}

/**
 * A bare Jinja expression (a `when:`, `changed_when:`, `until:`) as our condition: the inside of
 * a mustache (`eq os "Debian"`).
 */
export function translateCondition(src: string, loopVars: ReadonlySet<string> = new Set()): { text: string } & Translation {
  const inner = /^\s*\{\{(.*)\}\}\s*$/s.exec(src);
  const emitter = new Emitter(loopVars);
  const expr = inner ? parse(inner[1], src.indexOf('{{') + 2) : parse(src, 0);
  const call = emitter.call(expr);
  return { text: call.text, usesFacts: emitter.usesFacts };
}

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
