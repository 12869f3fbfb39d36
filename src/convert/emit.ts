// A converted runbook as YAML text: header, var defaults, steps and handlers, each untranslated
// task's original above its failing step as a comment.

import { Document, type Node, type YAMLSeq } from 'yaml';
import { isDeclaration } from '../load/var-decls.js';
import type { EmittedStep } from './task.js';

/** A var default as the runbook format takes it: a mapping that would read as a declaration is wrapped in one. */
function varValue(value: unknown): unknown {
  return isDeclaration(value) ? { type: 'map', default: value } : value;
}

export function runbookYaml(header: Record<string, unknown>, vars: Record<string, unknown>, steps: EmittedStep[], handlers: EmittedStep[]): string {
  const body: Record<string, unknown> = { ...header };
  if (Object.keys(vars).length > 0) body['vars'] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, varValue(v)]));
  const [stepList, stepComments] = withComments(steps);
  const [handlerList, handlerComments] = withComments(handlers);
  body['steps'] = stepList;
  if (handlerList.length > 0) body['handlers'] = handlerList;
  const doc = new Document(body);
  const attach = (key: string, comments: Array<string | undefined>, trailing: string | undefined) => {
    const seq = doc.get(key, true) as YAMLSeq | undefined;
    seq?.items.forEach((item, i) => {
      if (comments[i]) (item as Node).commentBefore = asComment(comments[i]!);
    });
    if (trailing && seq) seq.comment = asComment(trailing);
  };
  attach('steps', stepComments, trailingOf(steps));
  attach('handlers', handlerComments, trailingOf(handlers));
  return doc.toString({ lineWidth: 0 });
}

/** Steps without the comment-only entries, and each step's comment with those before it. */
function withComments(emitted: EmittedStep[]): [Array<Record<string, unknown>>, Array<string | undefined>] {
  const steps: Array<Record<string, unknown>> = [];
  const comments: Array<string | undefined> = [];
  let pending: string[] = [];
  for (const e of emitted) {
    if (e.comment) pending.push(e.comment);
    if (Object.keys(e.step).length === 0) continue;
    steps.push(e.step);
    comments.push(pending.length ? pending.join('\n') : undefined);
    pending = [];
  }
  return [steps, comments];
}

function trailingOf(emitted: EmittedStep[]): string | undefined {
  const tail: string[] = [];
  for (let i = emitted.length - 1; i >= 0 && Object.keys(emitted[i].step).length === 0; i--) if (emitted[i].comment) tail.unshift(emitted[i].comment!);
  return tail.length ? tail.join('\n') : undefined;
}

const asComment = (text: string) =>
  text
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
