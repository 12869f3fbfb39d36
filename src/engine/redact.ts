// Secrets must never reach events, and so never the journal, the terminal, `show` or --json.
// Every string that leaves the engine goes through a redactor that masks each known secret value
// wherever it appears. Secret values are those of vars declared `secret: true`, of vars whose
// names say so (Ansible users' conventions: `ansible_password`, `ansible_become_password`,
// `*pass*`, `*secret*`, `*token*`, `*key*`), and of a task's secretArgs.

import type { Runbook, Vars } from '../model.js';

/** What a secret is replaced with wherever it would show: events, the journal (and its header's -e vars and argv), show. */
export const MASK = '********';

const SECRET_NAME = /pass|secret|token|key/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

// Shorter values would mask innocent text everywhere (a one-letter password is not a secret worth
// that price); such values are still masked where they are whole values.
const MIN_SUBSTRING = 4;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** The values of the vars that are secrets: declared `secret: true` in the runbook, or named so. */
  addSecretVars(vars: Vars, runbook: Pick<Runbook, 'vars'>): void {
    for (const [name, value] of Object.entries(vars)) if (runbook.vars[name]?.secret || isSecretName(name)) this.add(value);
  }

  /** A secret value; every string and number inside a list or map counts. */
  add(value: unknown): void {
    if (typeof value === 'string' && value !== '') this.secrets.add(value);
    else if (typeof value === 'number') this.secrets.add(String(value));
    else if (Array.isArray(value)) value.forEach((v) => this.add(v));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.add(v));
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) {
      if (out === secret) return MASK;
      if (secret.length >= MIN_SUBSTRING) out = out.split(secret).join(MASK);
    }
    return out;
  }

  /** A deep copy with every string redacted. */
  value<T>(v: T): T {
    if (this.secrets.size === 0) return v;
    return this.walk(v) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (typeof v === 'number' && this.secrets.has(String(v))) return MASK;
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x)]));
    }
    return v;
  }
}
