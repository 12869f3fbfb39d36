// include_vars: vars of this host read from a file beside the runbook, for the steps after this
// one (Ansible's include_vars; `first_found` is its with_first_found). The file is chosen when the
// step runs, so its name may hold templates (`vars/{{ansible_facts.os_family}}.yml`); the plan
// learns the names it may set from every file such a name could be.

import { readFileSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { defineTask, parseVarsFile, possibleFiles, TaskError, z } from 'runbook';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const path = z.string().min(1);

const args = z.strictObject({
  file: path.optional().describe("A vars file (YAML or JSON) relative to the runbook's directory."),
  first_found: z.array(path).min(1).optional().describe('Files to try in order: the first that exists is read (Ansible\'s with_first_found).'),
  skip: z.boolean().default(false).describe('With first_found: when none of the files exists, set nothing instead of failing.'),
  name: z.string().regex(VAR_NAME, 'a var name: letters, digits, _').optional().describe("Set one var holding the file's vars as a map, instead of each var."),
})
  .refine((a) => (a.file === undefined) !== (a.first_found === undefined), { message: 'give file or first_found (one of them)' })
  .refine((a) => !a.skip || a.first_found !== undefined, { message: 'skip goes with first_found' });

/** The path of a file named relative to the runbook's directory, refused when it leads out of it. */
async function within(base: string, written: string): Promise<string> {
  const outside = () => new TaskError(`include_vars: ${written} is outside the runbook's directory ${base}`, { hint: 'keep vars files beside the runbook (vars/...)' });
  if (isAbsolute(written)) throw outside();
  const path = resolve(base, written);
  if (!path.startsWith(base + sep)) throw outside();
  // A link may lead anywhere: where it ends counts.
  const real = await realpath(path).catch(() => path);
  if (!real.startsWith(base + sep)) throw outside();
  return real;
}

export default defineTask<typeof args, undefined, undefined>({
  name: 'include_vars',
  description: "Set vars of this host from a vars file beside the runbook (YAML or JSON, vaulted or not), chosen as the step runs",
  doc: `Reads a vars file on the controller, relative to the runbook's directory, and sets its vars
for this host for the steps after this one (as Ansible's include_vars). With \`first_found\` the
first file of the list that exists is read (Ansible's \`with_first_found\`); names may be templates,
rendered when the step runs, so facts can choose the file. Templates inside the file's values render
when a step uses them, as the inventory's vars do. Vaulted files and \`!vault\` values are opened
with the vault password, and their values are secrets.

Differences from Ansible, on purpose: the file must be inside the runbook's directory (an absolute
path, \`..\` or a link out is refused, so a var rendered into the name cannot make it read any file
of the controller); a name in \`first_found\` that uses an undefined var fails the step (Ansible
passes over it); the vars are set over \`-e\` as set_fact's are; a resumed run reads the file again
(the journal never holds the values).

\`\`\`yaml
- name: Gather facts
  facts:
  register: ansible_facts
- name: Vars for this distribution
  include_vars:
    first_found:
      - "vars/{{ansible_facts.distribution}}.yml"
      - vars/default.yml
\`\`\``,
  args,
  freeForm: { arg: 'file', inline: [] },
  setsVars: {
    names(a, runbookDir) {
      if (typeof a['name'] === 'string') return [a['name']];
      const written = [a['file'], ...(Array.isArray(a['first_found']) ? a['first_found'] : [])].filter((f): f is string => typeof f === 'string');
      const names = new Set<string>();
      for (const file of written.flatMap((w) => possibleFiles(w, runbookDir))) {
        try {
          for (const key of Object.keys(parseVarsFile(file, readFileSync(file, 'utf8'), 'vars'))) if (VAR_NAME.test(key)) names.add(key);
        } catch {
          // A file that does not parse is reported by the step that reads it, if one does.
        }
      }
      return [...names];
    },
    fromFiles: true,
  },
  async check(ctx) {
    const { file, first_found, skip, name } = ctx.args;
    const tried = file !== undefined ? [file] : first_found!;
    const base = await realpath(ctx.controller.runbookDir);
    for (const written of tried) {
      const path = await within(base, written);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') continue;
        throw new TaskError(`include_vars: cannot read ${written}: ${code ?? String(e)}`);
      }
      const vars = parseVarsFile(path, text, 'vars');
      const bad = Object.keys(vars).find((k) => !VAR_NAME.test(k));
      if (bad !== undefined) throw new TaskError(`include_vars: ${written}: "${bad}" is not a var name (letters, digits, _)`);
      const names = Object.keys(vars);
      return {
        inSync: true,
        summary: `${name ?? (names.length ? names.join(', ') : 'no vars')} from ${relative(base, path)}`,
        data: { ansible_facts: name ? { [name]: vars } : vars },
      };
    }
    if (skip) return { inSync: true, summary: `none of ${tried.join(', ')} exists: nothing set` };
    throw new TaskError(`include_vars: no file ${tried.join(', ')} in ${base}`, { hint: tried.length > 1 ? 'add one of them, or skip: true' : 'add the file, or name another' });
  },
  async apply() {},
});
