// The one quoting function. Every value that reaches a remote or local shell goes through
// `quote` (directly, through `argv`, or through the `sh` tagged template). Nothing else in the
// code base builds shell text from values.

/**
 * Quote a value for POSIX sh: wrap it in single quotes, and write each embedded single quote as
 * '"'"'. Inside single quotes sh interprets nothing ($, `, \, newlines are literal), so the value
 * arrives as exactly one word, byte for byte. A NUL byte cannot be passed in a shell word at all,
 * so it is refused rather than silently truncated.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s; // nothing sh would interpret
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Join an argv into one sh command line, each word quoted. */
export function argv(words: ReadonlyArray<string | number>): string {
  return words.map(quote).join(' ');
}

const SHELL_TEXT = Symbol.for('runbook.ShellText');

/** A value that is already shell text and must not be quoted again (the result of `sh`). */
export class ShellText {
  readonly [SHELL_TEXT] = true;
  constructor(readonly text: string) {}

  // Recognised by a brand, not by identity: code holding another copy of this module (src and
  // dist side by side, e.g. a test or a task compiled against another runbook install) must
  // still have its `sh` results count as shell text here.
  static [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[SHELL_TEXT] === true;
  }

  toString(): string {
    return this.text;
  }
}

/** Mark trusted shell text (written by us, not derived from user values) for use inside `sh`. */
export function raw(text: string): ShellText {
  return new ShellText(text);
}

/**
 * Tagged template that quotes every interpolated value:
 *   sh`mkdir -p ${dir} && chown ${user} ${dir}`
 * Arrays become several quoted words; ShellText (from `sh` or `raw`) is inserted as is.
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): ShellText {
  // A backslash that is no JavaScript escape (`\.`, `\(`) leaves the tagged template's text
  // undefined: it would reach the shell as the word "undefined". Write `\\.` for sed's `\.`.
  const bad = strings.findIndex((s) => s === undefined);
  if (bad >= 0) throw new Error(`sh template: part ${bad + 1} (${JSON.stringify(strings.raw[bad].slice(0, 60))}) holds a backslash that is not a JavaScript escape; double it`);
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new ShellText(out);
}

function render(v: unknown): string {
  if (v instanceof ShellText) return v.text;
  if (Array.isArray(v)) return v.map(render).join(' ');
  if (typeof v === 'string' || typeof v === 'number') return quote(v);
  throw new Error(`cannot put a ${v === null ? 'null' : typeof v} into a shell command`);
}
