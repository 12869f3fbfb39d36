// The files a path written with templates may name once rendered, found before the values are
// known: each `{{...}}` stands for any text inside one path segment. include_vars tells the plan
// every var a templated file name may set with it; `runbook convert` brings every such file along.

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Regular files under `dir` that `written` (relative, `/`-separated) may name; links leading out of `dir` left out. */
export function possibleFiles(written: string, dir: string): string[] {
  let paths = [dir];
  for (const segment of written.split('/')) {
    if (!segment.includes('{{')) {
      paths = paths.map((p) => join(p, segment));
      continue;
    }
    const literal = segment.split(/\{\{[\s\S]*?\}\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`^${literal.join('.*')}$`);
    paths = paths.flatMap((p) => {
      try {
        return readdirSync(p).filter((n) => pattern.test(n)).map((n) => join(p, n));
      } catch {
        return [];
      }
    });
  }
  let base: string;
  try {
    base = realpathSync(dir);
  } catch {
    return [];
  }
  return paths.filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile() && realpathSync(p).startsWith(base + sep));
}
