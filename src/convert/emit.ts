// A converted runbook as YAML text: header, var defaults, steps and handlers, each untranslated
// task's original above its failing step as a comment.

import { Document, type Node, type YAMLSeq } from 'yaml';
import { isDeclaration } from '../load/var-decls.js';
import { BLOCK_PARTS, type EmittedStep } from './task.js';

/** A var default as the runbook format takes it: a mapping that would read as a declaration is wrapped in one. */
function varValue(value: unknown): unknown {
  return isDeclaration(value) ? { type: 'map', default: value } : value;
}

export function runbookYaml(header: Record<string, unknown>, vars: Record<string, unknown>, steps: EmittedStep[], handlers: EmittedStep[]): string {
  const body: Record<string, unknown> = { ...header };
  if (Object.keys(vars).length > 0) body['vars'] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, varValue(v)]));
  const comments: Comments[] = [];
  body['steps'] = plainSteps(steps, ['steps'], comments);
  const handlerList = plainSteps(handlers, ['handlers'], comments);
  if (handlerList.length > 0) body['handlers'] = handlerList;
  const doc = new Document(body);
  for (const { path, before, trailing } of comments) {
    const seq = doc.getIn(path, true) as YAMLSeq | undefined;
    seq?.items.forEach((item, i) => {
      if (before[i]) (item as Node).commentBefore = asComment(before[i]!);
    });
    if (trailing && seq) seq.comment = asComment(trailing);
  }
  return doc.toString({ lineWidth: 0 });
}

/** The comments of one list of steps in the document, at its path (`steps`, `steps.3.rescue`). */
interface Comments {
  path: Array<string | number>;
  before: Array<string | undefined>;
  trailing?: string;
}

/** Steps as plain data (a block's parts as lists of steps), their comments collected by path. */
function plainSteps(emitted: EmittedStep[], path: Array<string | number>, comments: Comments[]): Array<Record<string, unknown>> {
  const [steps, before] = withComments(emitted);
  comments.push({ path, before, trailing: trailingOf(emitted) });
  return steps.map((e, i) => {
    if (!e.parts) return e.step;
    const { name, ...rest } = e.step;
    const parts = Object.fromEntries(BLOCK_PARTS.filter((p) => e.parts![p]).map((p) => [p, plainSteps(e.parts![p]!, [...path, i, p], comments)]));
    return { ...(name === undefined ? {} : { name }), ...parts, ...rest };
  });
}

/** Steps without the comment-only entries, and each step's comment with those before it. */
function withComments(emitted: EmittedStep[]): [EmittedStep[], Array<string | undefined>] {
  const steps: EmittedStep[] = [];
  const comments: Array<string | undefined> = [];
  let pending: string[] = [];
  for (const e of emitted) {
    if (e.comment) pending.push(e.comment);
    if (Object.keys(e.step).length === 0 && !e.parts) continue;
    steps.push(e);
    comments.push(pending.length ? pending.join('\n') : undefined);
    pending = [];
  }
  return [steps, comments];
}

function trailingOf(emitted: EmittedStep[]): string | undefined {
  const tail: string[] = [];
  for (let i = emitted.length - 1; i >= 0 && Object.keys(emitted[i].step).length === 0 && !emitted[i].parts; i--) if (emitted[i].comment) tail.unshift(emitted[i].comment!);
  return tail.length ? tail.join('\n') : undefined;
}

const asComment = (text: string) =>
  text
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
