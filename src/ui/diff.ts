// --diff: a file change as a unified diff, like `diff -u` (and Ansible's --diff).

import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../task/types.js';

export function unifiedDiff(d: FileDiff): string {
  const before = d.before ?? '';
  const after = d.after ?? '';
  const patch = createTwoFilesPatch(
    d.before === null ? '/dev/null' : `${d.path} (before)`,
    d.after === null ? '/dev/null' : `${d.path} (after)`,
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  );
  // createTwoFilesPatch opens with an `Index:`-less `===` rule; drop it so the text is plain diff -u.
  return patch.replace(/^=+\n/, '');
}
