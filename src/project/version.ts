// The running runbook: where its package is (its runbooks/, tasks/, inventory examples) and its
// version, which project files and runbook packages check their `requires:` range against.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root, from src/project or dist/project alike. */
export const RUNBOOK_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let version: string | undefined;

export function runbookVersion(): string {
  version ??= (JSON.parse(readFileSync(join(RUNBOOK_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
