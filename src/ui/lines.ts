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

/**
 * Text from hosts (command output in errors, file contents in diffs, log lines) made safe for a
 * terminal: control characters but newline and tab are shown as `\xNN`, so a remote output cannot
 * move the cursor, retitle the window or hide what came before it.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The status word and what follows the step name: `: summary`, ` (reason)`, `: message`. */
export function outcome(e: HostResult): { label: string; detail: string } {
  const { label, detail } = rawOutcome(e);
  return { label, detail: printable(detail) };
}

function rawOutcome(e: HostResult): { label: string; detail: string } {
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
  return `${label}: [${e.host}] ${printable(e.stepName)}${detail}`;
}

export function diffText(e: HostResult): string {
  return printable((e.diff ?? []).map(unifiedDiff).join(''));
}

/** `checkpoint: name [hosts]`, shared by the renderers. */
export function checkpointLine(e: Extract<RunEvent, { type: 'checkpoint' }>): string {
  return `checkpoint: ${e.name} [${e.hosts.join(', ')}]\n`;
}

/** The recap that closes a run, and what an interrupt means for it. */
export function endText(e: Extract<RunEvent, { type: 'run-end' }>): string {
  return `\n${formatRecap(e.recap)}${e.status === 'interrupted' ? 'interrupted: in-flight steps finished; nothing else was started\n' : ''}`;
}
