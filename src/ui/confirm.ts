// The --confirm question: what a step would do on each host, its diffs, and the answers, read as
// `git add -p` reads them (one letter and Enter).

import type { ConfirmAnswer, HostPreview, StepPreview } from '../engine/confirm.js';
import { diffText, printable } from './lines.js';

export const CONFIRM_QUESTION = 'Apply this step? [y]es, [n]o (skip it), [a]ll (this and every later step), [q]uit (resume later), [?] help: ';

export const CONFIRM_HELP = `y - apply this step on these hosts (its check runs again first)
n - skip it: journaled as skipped, and \`runbook resume\` does not run it again
a - apply it and every later step without asking
q - stop here: nothing more runs, and \`runbook resume\` goes on with this step
`;

const ANSWERS: Record<string, ConfirmAnswer> = { y: 'apply', yes: 'apply', n: 'skip', no: 'skip', a: 'all', all: 'all', q: 'quit', quit: 'quit' };

/** The answer a typed line means; undefined when it means none (ask again). */
export function parseAnswer(line: string): ConfirmAnswer | undefined {
  return ANSWERS[line.trim().toLowerCase()];
}

/** The step, one line per host (what it would do), then the diffs. */
export function previewText(preview: StepPreview): string {
  const changing = preview.hosts.filter((h) => !h.nothingToDo).length;
  const kind = preview.handler ? 'HANDLER' : 'STEP';
  const head = `\n${kind} [${printable(preview.stepName)}] would act on ${changing} of ${preview.hosts.length} host(s):\n`;
  const lines = preview.hosts.map((h) => `  ${hostLine(h)}\n`).join('');
  return head + lines + preview.hosts.map((h) => diffText(h.result)).join('');
}

function hostLine({ result: r, nothingToDo }: HostPreview): string {
  const host = `[${r.host}]`;
  switch (r.status) {
    case 'ok':
      return `in sync: ${host}`;
    case 'changed':
      return `would change: ${host}${r.summary ? ` ${printable(r.summary)}` : ''}`;
    case 'skipped':
      return `${nothingToDo ? 'skipping' : 'would run'}: ${host}${r.reason ? ` (${printable(r.reason)})` : ''}`;
    case 'failed':
      return `check failed: ${host} ${printable(r.error?.message ?? '')}`;
    case 'unreachable':
      return `unreachable: ${host} ${printable(r.error?.message ?? '')}`;
  }
}
