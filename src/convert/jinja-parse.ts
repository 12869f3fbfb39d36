// Jinja's expression grammar as Ansible writes it (names, attributes and subscripts, literals,
// lists, filters, tests, comparisons, `in`, `not`, `and`, `or`, `~`) parsed to a small tree, each
// node with its offset in the source. What the grammar has and we do not translate (arithmetic,
// calls, dict literals, inline if) is a JinjaError at its offset.

export class JinjaError extends Error {
  constructor(
    message: string,
    /** Offset in the source text the error is at. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export type Expr =
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

export function parse(src: string, base: number): Expr {
  return new Parser(tokenize(src, base)).parseAll();
}
