// The text of one host result, shared by the plain and the tree renderer.

import type { RunEvent } from '../engine/events.js';
import { unifiedDiff } from './diff.js';
import { formatRecap } from './recap.js';

export type HostResult = Extract<RunEvent, { type: 'host-result' }>;

const LABEL: Record<HostResult['status'], string> = {
  ok: 'ok',
  changed: 'changed',
  skipped: 'skipping',
  failed: 'failed',
  unreachable: 'unreachable',
};

/** The status word and what follows the step name: `: summary`, ` (reason)`, `: message`. */
export function outcome(e: HostResult): { label: string; detail: string } {
  let detail = '';
  if (e.status === 'skipped' && e.reason) detail = ` (${e.reason})`;
  else if (e.error) detail = `: ${e.error.message}`;
  else if (e.summary && e.status === 'changed') detail = `: ${e.summary}`;
  if (e.ignored) detail += ' ...ignoring';
  if (e.error?.hint) detail += `\n  hint: ${e.error.hint}`;
  return { label: LABEL[e.status], detail };
}

/** `changed: [kafka01] Write zoo.cfg: content differs` */
export function resultLine(e: HostResult): string {
  const { label, detail } = outcome(e);
  return `${label}: [${e.host}] ${e.stepName}${detail}`;
}

export function diffText(e: HostResult): string {
  return (e.diff ?? []).map(unifiedDiff).join('');
}

/** `checkpoint: name [hosts]`, shared by the renderers. */
export function checkpointLine(e: Extract<RunEvent, { type: 'checkpoint' }>): string {
  return `checkpoint: ${e.name} [${e.hosts.join(', ')}]\n`;
}

/** The recap that closes a run, and what an interrupt means for it. */
export function endText(e: Extract<RunEvent, { type: 'run-end' }>): string {
  return `\n${formatRecap(e.recap)}${e.status === 'interrupted' ? 'interrupted: in-flight steps finished; nothing else was started\n' : ''}`;
}
