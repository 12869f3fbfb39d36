// Secrets never reach the journal. A var is secret when its declaration says so or its name looks
// like one; its value is then replaced wherever it appears in what the journal records.

import type { Runbook, Vars } from '../model.js';
import { REDACTED } from './records.js';

const SECRET_NAME = /pass|secret|token|key/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The vars with secret values replaced, and which names were redacted. */
export function redactVars(vars: Vars, runbook?: Pick<Runbook, 'vars'>): { vars: Vars; redacted: string[] } {
  const out: Vars = {};
  const redacted: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretName(name) || runbook?.vars[name]?.secret) {
      out[name] = REDACTED;
      redacted.push(name);
    } else {
      out[name] = value;
    }
  }
  return { vars: out, redacted };
}

/** Command-line words with `name=value` secrets (as in `-e db_password=x`) redacted. */
export function redactArgv(words: string[], secretNames: Iterable<string> = []): string[] {
  const names = new Set(secretNames);
  return words.map((word) => {
    const m = /^([A-Za-z_][\w.-]*)=/.exec(word);
    return m && (isSecretName(m[1]) || names.has(m[1])) ? `${m[1]}=${REDACTED}` : word;
  });
}

/**
 * The secret string values among vars (declared secret, named like one, or a task's secretArgs),
 * collected so a Scrubber can replace them in free text (summaries, errors, diffs).
 */
export function secretValues(vars: Vars, runbook?: Pick<Runbook, 'vars'>): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') found.add(value);
    else if (typeof value === 'number') found.add(String(value));
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretName(name) || runbook?.vars[name]?.secret) visit(value);
  }
  // Very short values would scrub ordinary text everywhere without protecting anything.
  return [...found].filter((v) => v.length >= 4 && v !== REDACTED);
}

/** Deep copy of `value` with every occurrence of a secret string replaced. */
export function scrub<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.reduce((s, secret) => s.split(secret).join(REDACTED), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
