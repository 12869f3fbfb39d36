// Jinja expressions, as Ansible playbooks write them, to our handlebars: the common subset only
// (names and attributes, literals, `== != < > <= >= in not and or ~`, the tests `defined`,
// `undefined`, `none`, `changed`, `failed`, `succeeded`, `skipped`, and the filters `default`,
// `join`, `upper`, `lower`, `trim`, `int`, `bool`, `length`, `to_json`, `string`). Anything else
// is a JinjaError at its offset in the source, never a guess: `runbook convert` lists it and
// leaves the step failing. Template text (`{% if %}`, `{% for %}`, ...) is in jinja-text.ts.

import { JinjaError, parse, type Expr } from './jinja-parse.js';

export { JinjaError };

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
export class Emitter {
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
