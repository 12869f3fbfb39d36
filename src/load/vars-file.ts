// A file of vars (`name: value`, YAML or JSON) as Ansible reads its vars files: YAML 1.1 booleans,
// vaulted files and `!vault` values opened (their values secrets from then on). Shared by the
// inventory's group_vars/ and host_vars/ and by the include_vars task.

import type { ErrorKind } from '../errors.js';
import { UserError } from '../errors.js';
import type { Vars } from '../model.js';
import { parseYamlText } from './yaml-source.js';

/** The vars in `text` (the bytes of `file`); an empty file has none. */
export function parseVarsFile(file: string, text: string, kind: ErrorKind): Vars {
  const source = parseYamlText(file, text, '');
  const value = source.value(source.doc.contents);
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(kind, `${file} must be a mapping of var: value`, { pos: source.pos(source.doc.contents) });
  }
  return value as Vars;
}
