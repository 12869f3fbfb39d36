// Secrets never reach a run's header. A var is secret when its declaration says so, its name
// looks like one, or its value came out of an Ansible Vault. (Event contents are redacted by the
// engine before they reach the journal.)

import { isSecretName, MASK } from '../engine/redact.js';
import type { Runbook, Vars } from '../model.js';
import { holdsRevealed } from '../vault/keyring.js';

/** The vars with secret values replaced, and which names were redacted. */
export function redactVars(vars: Vars, runbook?: Pick<Runbook, 'vars'>): { vars: Vars; redacted: string[] } {
  const out: Vars = {};
  const redacted: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretName(name) || runbook?.vars[name]?.secret || holdsRevealed(value)) {
      out[name] = MASK;
      redacted.push(name);
    } else {
      out[name] = value;
    }
  }
  return { vars: out, redacted };
}

/**
 * Command-line words with secrets redacted: `name=value` pairs whose name is secret (as in
 * `-e db_password=x`), and every occurrence of a secret value (as in `-e '{"token": "x"}'`).
 */
export function redactArgv(words: string[], secretNames: Iterable<string>, secretValues: unknown[]): string[] {
  const names = new Set(secretNames);
  const values = secretValues.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String).filter((v) => v !== '');
  return words.map((word) => {
    const m = /^([A-Za-z_][\w.-]*)=/.exec(word);
    if (m && (isSecretName(m[1]) || names.has(m[1]))) return `${m[1]}=${MASK}`;
    return values.reduce((w, v) => w.split(v).join(MASK), word);
  });
}
