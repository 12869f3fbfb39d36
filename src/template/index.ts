// Handlebars for runbook values and template files: `strict` (a missing variable is an error that
// names it and where it is) and `noEscape` (config files, not HTML). Each distinct source is
// compiled once.

import { readFile } from 'node:fs/promises';
import Handlebars from 'handlebars';
import { isUserError, UserError } from '../errors.js';
import type { SourcePos, Vars } from '../model.js';
import { nearestPosition } from '../load/yaml-source.js';
import { CAPTURE, SOFT, VALUE, inheritedNamePaths, loneMustache, softLookup, strictify, toCapture } from './ast.js';
import { HelperError, helpers } from './helpers.js';
import { locateInScalar } from './locate.js';
import { isTruthy } from './truthy.js';
import { cachedTemplate, rememberTemplate, templateCacheOn, type CachedTemplate } from './cache.js';

const hb = Handlebars.create();
// Handlebars logs to the console when a name is found only on Object.prototype (it checks whether
// `toString` is a helper before it looks for a var); such names are reported as undefined
// variables below, with their position, so its log line would only be noise on the terminal.
hb.logger.level = 4; // above 'error' (3): nothing is logged
// Rendering is synchronous, so one slot is enough to carry a typed result out of `__capture`.
let captured: unknown;
hb.registerHelper(helpers);
hb.registerHelper(SOFT, softLookup);
hb.registerHelper(VALUE, (value: unknown) => value);
hb.registerHelper(CAPTURE, (value: unknown) => {
  captured = value;
  return '';
});
// Known helpers are called directly; otherwise strict mode would first look their names up as vars.
const knownHelpers = Object.fromEntries([...Object.keys(helpers), SOFT, CAPTURE, VALUE].map((name) => [name, true]));

type Render = (vars: Vars) => unknown;
/** Maps a line (1-based) and column (0-based) inside the template source to the user's file. */
type Locate = (line: number, col0: number) => SourcePos | undefined;

const compiled = new Map<string, Render>();

const compileOptions = { strict: true, noEscape: true, knownHelpers };

function compile(source: string, typed: boolean, locate: Locate): Render {
  const key = (typed ? 'T' : 'S') + source;
  let render = compiled.get(key);
  if (render) return render;
  const cached = cachedTemplate(key);
  const { template, lone, inherited } = cached ? { ...cached, template: cached.spec } : compileNew(key, source, typed, locate);
  const run = typeof template === 'string' ? hb.template(evaluateSpec(template)) : template;
  const own = (vars: Vars) => {
    for (const { name, loc } of inherited) {
      if (!Object.hasOwn(vars, name)) throw new UserError('template', `undefined variable "${name}"`, { pos: locate(loc.start.line, loc.start.column), hint: UNDEFINED_HINT });
    }
  };
  render = lone
    ? (vars) => {
        own(vars);
        captured = undefined;
        run(vars);
        return captured === undefined ? '' : captured;
      }
    : (vars) => (own(vars), run(vars));
  compiled.set(key, render);
  return render;
}

/** A template compiled here: its precompiled code kept for later runs (cache.ts), or compiled lazily when nothing is kept. */
function compileNew(key: string, source: string, typed: boolean, locate: Locate): { template: string | HandlebarsTemplateDelegate; lone: boolean; inherited: CachedTemplate['inherited'] } {
  let program: hbs.AST.Program;
  try {
    program = hb.parse(source);
  } catch (e) {
    throw templateError(e, source, locate);
  }
  const lone = typed ? loneMustache(program) : undefined;
  const inherited = inheritedNamePaths(program);
  const ast = strictify(lone ? toCapture(program, lone) : program);
  if (!templateCacheOn()) return { template: hb.compile(ast, compileOptions), lone: lone !== undefined, inherited };
  const entry = { spec: String(hb.precompile(ast, compileOptions)), lone: lone !== undefined, inherited };
  rememberTemplate(key, entry);
  return { template: entry.spec, lone: entry.lone, inherited };
}

/** Handlebars' precompiled specification is the source of an object literal. */
function evaluateSpec(spec: string): TemplateSpecification {
  return new Function(`return ${spec}`)() as TemplateSpecification;
}

function run(source: string, typed: boolean, vars: Vars, locate: Locate): unknown {
  const render = compile(source, typed, locate);
  try {
    return render(vars);
  } catch (e) {
    throw templateError(e, source, locate);
  }
}

const UNDEFINED_HINT = 'define it in the runbook vars, the inventory or with -e; for an optional value write {{default name "fallback"}}';

function templateError(e: unknown, source: string, locate: Locate): UserError {
  if (isUserError(e)) return e;
  const error = e as Error & { lineNumber?: number; column?: number };
  const sourceLines = source.split('\n');
  if (error instanceof HelperError) return new UserError('template', error.message, { pos: locate(1, 0) });
  const parse = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n(.*)/s.exec(error.message ?? '');
  if (parse) {
    const line = Number(parse[1]);
    const before = parse[2].slice(0, parse[3].length).replace(/^\.\.\./, '');
    const text = sourceLines[line - 1] ?? '';
    let col0 = 0;
    for (let k = text.length; k > 0; k--) {
      if (before.endsWith(text.slice(0, k))) {
        col0 = k;
        break;
      }
    }
    const got = /got '([^']+)'/.exec(parse[4])?.[1];
    return new UserError('template', `template syntax error${got ? `: unexpected ${got}` : ''}`, {
      pos: locate(line, col0),
      hint: 'check the {{ }} braces, quotes and parentheses',
    });
  }
  if (typeof error.lineNumber === 'number' && typeof error.column === 'number') {
    const pos = locate(error.lineNumber, error.column);
    if (/^"[^"]*" not defined in /.test(error.message)) {
      const name = /^[@\w$.\/\-\[\]]+/.exec((sourceLines[error.lineNumber - 1] ?? '').slice(error.column))?.[0];
      return new UserError('template', `undefined variable "${name ?? error.message.split('"')[1]}"`, { pos, hint: UNDEFINED_HINT });
    }
    return new UserError('template', `template error: ${error.message.replace(/ - \d+:\d+$/, '')}`, { pos });
  }
  if (/^Missing helper: /.test(error.message ?? '')) return new UserError('template', error.message, { pos: locate(1, 0) });
  return new UserError('template', `template error: ${error.message ?? String(e)}`, { pos: locate(1, 0) });
}

function scalarLocator(start: SourcePos | undefined, colShift = 0): Locate {
  return (line, col0) => start && locateInScalar(start, line, line === 1 ? Math.max(0, col0 + colShift) : col0);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Deep-renders every string containing `{{`. A string that is exactly one `{{expr}}` keeps the
 * type expr yields (a list, a number); other strings render to strings.
 */
export function renderValue(value: unknown, vars: Vars, where: { positions: Record<string, SourcePos>; path: string }): unknown {
  const at = (key: string | number) => ({ positions: where.positions, path: where.path === '' ? String(key) : `${where.path}.${key}` });
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    return run(value, true, vars, scalarLocator(nearestPosition(where.positions, where.path)));
  }
  if (Array.isArray(value)) return value.map((item, i) => renderValue(item, vars, at(i)));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars, at(k))]));
  return value;
}

/** Checks a template's syntax without rendering it (the loader calls this for every templated value). */
export function checkTemplate(source: string, start: SourcePos): void {
  compile(source, true, scalarLocator(start));
}

const fileTemplates = new Map<string, Promise<string>>();

/** A template file's source, read once per process (one run). */
export function readTemplateFile(path: string): Promise<string> {
  let source = fileTemplates.get(path);
  if (!source) {
    source = readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      fileTemplates.delete(path);
      throw new UserError('template', `cannot read template ${path}: ${e.code ?? e.message}`, {}, { cause: e });
    });
    fileTemplates.set(path, source);
  }
  return source;
}

/** Renders a handlebars file; each file is read and compiled once per process (one run). */
export async function renderTemplateFile(path: string, vars: Vars): Promise<string> {
  const text = await readTemplateFile(path);
  return String(run(text, false, vars, (line, col0) => ({ file: path, line, col: col0 + 1 })));
}

/** A condition written bare (`eq role "kafka"`) or wrapped (`{{ eq role "kafka" }}`). */
function conditionSource(expr: string): { source: string; shift: number } {
  const wrapped = /^(\s*\{\{)(.*)\}\}\s*$/s.exec(expr);
  if (wrapped && !wrapped[2].includes('{{')) return { source: `{{${wrapped[2]}}}`, shift: wrapped[1].length - 2 };
  return { source: `{{${expr}}}`, shift: -2 };
}

/** Checks a condition's syntax without evaluating it. */
export function checkCondition(expr: string, pos: SourcePos): void {
  const { source, shift } = conditionSource(expr);
  compile(source, true, scalarLocator(pos, shift));
}

/**
 * Evaluates when/changed_when/failed_when/until. False for '', 'false', '0', false, 0, null,
 * undefined and an empty list.
 */
export function evaluateCondition(expr: string | boolean, vars: Vars, pos: SourcePos): boolean {
  if (typeof expr === 'boolean') return expr;
  const { source, shift } = conditionSource(expr);
  return isTruthy(run(source, true, vars, scalarLocator(pos, shift)));
}

/** Several conditions that must all hold (an include's `when` over its steps', a `when:` list), as one. */
export function combineConditions(conditions: string[]): string | undefined {
  if (conditions.length <= 1) return conditions[0];
  const operand = (expr: string) => {
    const inner = conditionSource(expr).source.slice(2, -2).trim();
    const program = hb.parse(`{{${inner}}}`);
    const lone = loneMustache(program);
    const isCall = lone && (lone.params.length > 0 || (lone.hash?.pairs.length ?? 0) > 0);
    return isCall ? `(${inner})` : `(${VALUE} ${inner})`;
  };
  return `and ${conditions.map(operand).join(' ')}`;
}
