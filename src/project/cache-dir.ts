// Where runbook keeps what it can rebuild (compiled task modules, compiled templates): the XDG
// cache directory, one folder per kind. Both hold code that runbook then runs, often as root, so
// the folders must be the user's own: made private (0700), and refused when another user owns
// them or may write to them, or could swap them (a base directory others may write to without
// the sticky bit).

import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export function cacheDir(kind: 'tasks' | 'templates'): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'runbook', kind);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const unsafe = (path: string, st: Stats, ours: boolean): string | undefined => {
    if (!st.isDirectory()) return `${path} is not a directory`;
    if (uid === undefined) return undefined;
    if (st.uid !== uid && (ours || st.uid !== 0)) return `${path} belongs to uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (ours || (st.mode & 0o1000) === 0)) return `others may write to ${path} (mode ${(st.mode & 0o7777).toString(8)})`;
    return undefined;
  };
  for (const [path, ours] of [[base, false], [join(base, 'runbook'), true], [dir, true]] as const) {
    // The base may be a link (a home's .cache on another disk); runbook's own folders may not.
    const why = unsafe(path, ours ? lstatSync(path) : statSync(path), ours);
    if (why) {
      throw new UserError('usage', `runbook's cache is not private: ${why}`, {
        hint: `runbook runs code it keeps there: remove ${join(base, 'runbook')} (it is rebuilt), or set XDG_CACHE_HOME to a directory of your own`,
      });
    }
  }
  return dir;
}
