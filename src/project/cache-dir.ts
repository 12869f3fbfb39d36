// Where runbook keeps what it can rebuild (compiled task modules, compiled templates): the XDG
// cache directory, one folder per kind.

import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(kind: 'tasks' | 'templates'): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'runbook', kind);
}
