// Rewrites of the handlebars AST before compiling.
//
// Handlebars' `strict` only checks a bare `{{name}}`; a helper's argument (`{{join brokers ","}}`)
// that is missing silently becomes undefined. We mark every argument path strict too, except the
// first argument of `default`, `if` and `unless`, whose whole point is a value that may be
// missing. There, a dotted path (`a.b` with `a` missing) goes through `__soft`, which answers
// undefined instead of failing on the missing parent.
//
// A string that is exactly one `{{expr}}` keeps the type of what expr yields (a list for
// `loop: "{{ groups.kafka }}"`): its mustache is rewritten to `{{__capture expr}}`.

type Node = hbs.AST.Node;
type Expr = hbs.AST.Expression;
type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

const SOFT_FIRST_ARG = new Set(['default', 'defined', 'if', 'unless']);

export const CAPTURE = '__capture';
export const SOFT = '__soft';
/** Identity: turns a bare path into a subexpression (`(__value x)`) where one is needed. */
export const VALUE = '__value';

function path(name: string, loc: hbs.AST.SourceLocation): hbs.AST.PathExpression {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}

function isPath(e: Expr): e is hbs.AST.PathExpression {
  return e.type === 'PathExpression';
}

/** The block params in scope (`{{#each xs as |x|}}`): names the soft lookup cannot see, since it reads the context. */
type Scope = ReadonlySet<string>;

function softPath(p: hbs.AST.PathExpression, scope: Scope): Expr {
  const plain = !p.data && p.depth === 0 && p.parts.length > 1 && !/^(this|\.)/.test(p.original) && !scope.has(p.parts[0]);
  if (!plain) return p;
  const params = p.parts.map((part): hbs.AST.StringLiteral => ({ type: 'StringLiteral', value: part, original: part, loc: p.loc }));
  return { type: 'SubExpression', path: path(SOFT, p.loc), params, hash: undefined as unknown as hbs.AST.Hash, loc: p.loc } as hbs.AST.SubExpression;
}

function strictArg(e: Expr, scope: Scope): Expr {
  if (isPath(e)) (e as hbs.AST.PathExpression & { strict?: boolean }).strict = true;
  else visit(e, scope);
  return e;
}

function visitCall(call: Call, scope: Scope): void {
  const name = isPath(call.path) ? call.path.original : '';
  call.params = call.params.map((param, i) => {
    if (i === 0 && SOFT_FIRST_ARG.has(name)) return isPath(param) ? softPath(param, scope) : strictArg(param, scope);
    return strictArg(param, scope);
  });
  for (const pair of call.hash?.pairs ?? []) pair.value = strictArg(pair.value, scope);
}

function visit(node: Node | undefined, scope: Scope): void {
  if (!node) return;
  switch (node.type) {
    case 'Program': {
      const program = node as hbs.AST.Program;
      const inner = program.blockParams?.length ? new Set([...scope, ...program.blockParams]) : scope;
      program.body.forEach((n) => visit(n, inner));
      break;
    }
    case 'MustacheStatement':
    case 'SubExpression':
      visitCall(node as Call, scope);
      break;
    case 'BlockStatement': {
      const block = node as hbs.AST.BlockStatement;
      visitCall(block, scope);
      visit(block.program, scope);
      visit(block.inverse, scope);
      break;
    }
  }
}

/** Marks argument paths strict, in place. */
export function strictify(program: hbs.AST.Program): hbs.AST.Program {
  visit(program, new Set());
  return program;
}

/**
 * Paths whose first name is also a property every object inherits (`toString`, `constructor`).
 * Handlebars' strict check asks `name in vars`, which such names pass even when no var has them,
 * and then renders them as empty: the caller checks these against the vars' own names instead.
 */
export function inheritedNamePaths(program: hbs.AST.Program): Array<{ name: string; loc: hbs.AST.SourceLocation }> {
  const found: Array<{ name: string; loc: hbs.AST.SourceLocation }> = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as { type?: string } & Record<string, unknown>;
    if (n.type === 'PathExpression') {
      const p = n as unknown as hbs.AST.PathExpression;
      const name = p.parts[0];
      if (!p.data && p.depth === 0 && name !== undefined && name in Object.prototype) found.push({ name, loc: p.loc });
      return;
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'loc') walk(value);
  };
  walk(program);
  return found;
}

/** The lone mustache of a template made of exactly one `{{expr}}`, else undefined. */
export function loneMustache(program: hbs.AST.Program): hbs.AST.MustacheStatement | undefined {
  const [only, ...rest] = program.body;
  return only?.type === 'MustacheStatement' && rest.length === 0 ? (only as hbs.AST.MustacheStatement) : undefined;
}

/** `{{expr args}}` → `{{__capture (expr args)}}`, `{{path}}` → `{{__capture path}}`. */
export function toCapture(program: hbs.AST.Program, mustache: hbs.AST.MustacheStatement): hbs.AST.Program {
  const isCall = mustache.params.length > 0 || (mustache.hash?.pairs.length ?? 0) > 0;
  const operand: Expr = isCall
    ? ({ type: 'SubExpression', path: mustache.path as hbs.AST.PathExpression, params: mustache.params, hash: mustache.hash, loc: mustache.loc } as hbs.AST.SubExpression)
    : (mustache.path as Expr);
  const capture: hbs.AST.MustacheStatement = { ...mustache, path: path(CAPTURE, mustache.loc), params: [operand], hash: undefined as unknown as hbs.AST.Hash };
  return { ...program, body: [capture] };
}

/** Resolves `a.b.c` against the helper's context (the last argument is handlebars' options); undefined as soon as a part is missing. */
export function softLookup(this: unknown, ...args: unknown[]): unknown {
  const parts = args.slice(0, -1) as string[];
  let value: unknown = this;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
