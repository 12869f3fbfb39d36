// Where ctx.renderTemplate finds a template: first in the project's override folders (a team's
// runbooks/templates/zoo.cfg.hbs replaces ours), then beside the step's runbook, in its
// `templates/` folder first (as Ansible does), then in the folder itself.

import { access } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';
import type { Runbook, StepDecl } from '../model.js';

const resolved = new Map<string, Promise<string>>();

/** The folders a step's templates are looked for in, in order. */
export function templateSearchDirs(runbook: Pick<Runbook, 'templateDirs'>, step: Pick<StepDecl, 'pos'>): string[] {
  const own = dirname(step.pos.file);
  return [...new Set([...runbook.templateDirs, join(own, 'templates'), own])];
}

export function resolveTemplatePath(searchDirs: string[], path: string): Promise<string> {
  if (isAbsolute(path)) return Promise.resolve(path);
  const key = `${searchDirs.join('\0')}\0\0${path}`;
  let found = resolved.get(key);
  if (!found) {
    found = firstExisting(searchDirs.map((dir) => join(dir, path))).then((p) => {
      if (p) return p;
      throw new UserError('template', `template ${path} not found in ${searchDirs.join(', ')}`);
    });
    resolved.set(key, found);
    found.catch(() => resolved.delete(key));
  }
  return found;
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    if (await access(p).then(() => true, () => false)) return p;
  }
  return undefined;
}
