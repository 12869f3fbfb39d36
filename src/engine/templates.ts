// Where ctx.renderTemplate finds a template: paths resolve against the step's runbook directory, looking in its
// `templates/` folder first (as Ansible does), then beside the runbook.

import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';

const resolved = new Map<string, Promise<string>>();

export function resolveTemplatePath(runbookDir: string, path: string): Promise<string> {
  if (isAbsolute(path)) return Promise.resolve(path);
  const key = `${runbookDir}\0${path}`;
  let found = resolved.get(key);
  if (!found) {
    found = firstExisting([join(runbookDir, 'templates', path), join(runbookDir, path)]).then((p) => {
      if (p) return p;
      throw new UserError('template', `template ${path} not found in ${join(runbookDir, 'templates')} or ${runbookDir}`);
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
