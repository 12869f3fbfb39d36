// Where the lab keeps things on the controller. Caches survive `lab down` (a warm `lab up`
// downloads and builds nothing); a lab's state dir is its whole life and goes with it.

import { join } from 'node:path';
import { RUNBOOK_ROOT } from '../project/version.js';

export const CACHE_DIR = '/var/cache/runbook-lab';
export const STATE_ROOT = '/var/lib/runbook-lab';
// The suffix names the recipe (src/lab/base.ts): a new recipe builds a new base beside the old,
// which labs still up may be using as their lower layer.
export const BASE_ROOTFS = join(CACHE_DIR, 'base-bookworm-upgraded');
export const APT_CACHE_DIR = join(CACHE_DIR, 'apt-cacher-ng');
export const ARTIFACTS_DIR = join(CACHE_DIR, 'artifacts');

/** Non-TypeScript files the lab ships (scripts, poms): the build does not copy them, so they are
 * read from the package's own src/lab/assets whether runbook runs from src/ or its bundle. */
export const ASSETS_DIR = join(RUNBOOK_ROOT, 'src', 'lab', 'assets');

export function labDir(name: string): string {
  return join(STATE_ROOT, name);
}
