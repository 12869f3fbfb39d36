// The running runbook: where its package is (its runbooks/, tasks/, inventory examples) and its
// version, which project files and runbook packages check their `requires:` range against.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * The package root: the nearest folder above this module that holds a package.json. The module
 * runs from src/project (tests), or from dist/ as part of a bundle chunk, at another depth.
 */
export const RUNBOOK_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`runbook's package.json not found above ${from}`);
  }
}

let version: string | undefined;

export function runbookVersion(): string {
  version ??= (JSON.parse(readFileSync(join(RUNBOOK_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
