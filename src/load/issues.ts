// zod issues as located UserErrors: each issue's path is mapped to the nearest recorded position,
// and an unrecognised key gets a "did you mean" from the keys the schema knows.

import type { z } from 'zod';
import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { didYouMean } from './suggest.js';
import { nearestPosition } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

export interface IssueContext {
  positions: Record<string, SourcePos>;
  /** Dotted path of the validated value in `positions` (`args`, or '' for a whole file). */
  prefix: string;
  /** What a key of the value is called in messages: `argument of task "copy"`, `runbook key`. */
  keyNoun: string;
  /** Prefix for messages about values: `task "copy"`. */
  subject?: string;
  schema: z.ZodType;
  step?: string;
  host?: string;
}

/** The keys an object schema (or a union of them) declares, for suggestions. */
function knownKeys(schema: unknown): string[] {
  const def = (schema as { _zod?: { def?: { shape?: object; options?: unknown[]; innerType?: unknown } } })?._zod?.def;
  if (!def) return [];
  if (def.shape) return Object.keys(def.shape);
  if (def.options) return def.options.flatMap(knownKeys);
  if (def.innerType) return knownKeys(def.innerType);
  return [];
}

/** For a union no branch of which matched: the issues of the branch that got furthest. */
function unionBranch(issue: Issue & { code: 'invalid_union' }): Issue[] | undefined {
  const branches = issue.errors.filter((issues) => !issues.some((i) => i.code === 'invalid_type' && i.path.length === 0));
  return branches.length === 1 ? branches[0] : undefined;
}

export function issueErrors(error: z.ZodError, ctx: IssueContext): UserError[] {
  const join = (path: PropertyKey[]) => [ctx.prefix, ...path.map(String)].filter((p) => p !== '').join('.');
  const located = (path: PropertyKey[], message: string, hint?: string) =>
    new UserError('schema', message, { pos: nearestPosition(ctx.positions, join(path)), hint, step: ctx.step, host: ctx.host });
  const out: UserError[] = [];
  const visit = (issue: Issue, base: PropertyKey[]) => {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(located([...path, key], `unknown ${ctx.keyNoun} "${key}"`, didYouMean(key, knownKeys(ctx.schema))));
      return;
    }
    if (issue.code === 'invalid_union') {
      const branch = unionBranch(issue);
      if (branch) return branch.forEach((i) => visit(i, path));
    }
    const where = [ctx.subject, path.length ? path.map(String).join('.') : undefined].filter(Boolean).join(' ');
    out.push(located(path, where ? `${where}: ${issue.message}` : issue.message));
  };
  error.issues.forEach((issue) => visit(issue, []));
  return out;
}
