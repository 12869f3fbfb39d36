// Ansible's tag selection, so `--tags`/`--skip-tags` behave as Ansible users expect:
// `always` runs unless skipped by name, `never` runs only when one of its tags is asked for,
// `all`, `tagged` and `untagged` are the usual special selectors.

export interface TagFilter {
  /** --tags; empty means `all`. */
  only: string[];
  skip: string[];
}

const UNTAGGED = 'untagged';

export function selectedByTags(stepTags: string[], filter: TagFilter): boolean {
  const tags = new Set(stepTags.length > 0 ? stepTags : [UNTAGGED]);
  const only = new Set(filter.only.length > 0 ? filter.only : ['all']);
  const skip = new Set(filter.skip);
  const untagged = stepTags.length === 0;
  const intersects = (set: Set<string>) => [...tags].some((t) => set.has(t));

  const selected =
    tags.has('always') ||
    (only.has('all') && !tags.has('never')) ||
    intersects(only) ||
    (only.has('tagged') && !untagged && !tags.has('never'));
  if (!selected) return false;
  if (skip.has('all')) return tags.has('always') && !skip.has('always');
  if (intersects(skip)) return false;
  if (skip.has('tagged') && !untagged) return false;
  return true;
}
