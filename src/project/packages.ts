// A runbook package: an npm package, installed in the project's node_modules, whose package.json
// has a "runbook" key ({ "requires": "<range of runbook versions>" } or {}), with runbooks/ (and
// runbooks/templates/) and tasks/ folders. Its tasks are code that runbook imports, so the
// package must pass the same ownership checks as the project's own tasks/.

import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { assertVersion } from './file.js';
import { assertTrusted } from './find.js';
import type { Layer } from './layer.js';

const manifestSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  runbook: z.object({ requires: z.string().optional() }).passthrough().optional(),
});

export async function loadPackage(projectDir: string, name: string, pos: SourcePos): Promise<Layer> {
  const installed = join(projectDir, 'node_modules', name);
  // npm links local and workspace packages (`npm install ../acme-kafka`): use where the link leads.
  const root = await realpath(installed).catch(() => undefined);
  if (root === undefined) {
    throw new UserError('package', `runbook package "${name}" is not installed (no ${installed})`, {
      pos,
      hint: `run \`npm install ${name}\` in ${projectDir}, or remove it from packages:`,
    });
  }
  const manifestFile = join(root, 'package.json');
  let manifest: z.output<typeof manifestSchema>;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(manifestFile, 'utf8')));
  } catch (e) {
    throw new UserError('package', `cannot read ${manifestFile}: ${(e as Error).message.split('\n')[0]}`, { pos }, { cause: e });
  }
  if (manifest.runbook === undefined) {
    throw new UserError('package', `"${name}" is not a runbook package: ${manifestFile} has no "runbook" key`, {
      pos,
      hint: 'a runbook package declares itself with "runbook": { "requires": "<runbook versions>" } in its package.json (see `runbook init --package`)',
    });
  }
  assertVersion(manifest.runbook.requires, pos, `package ${name}${manifest.version ? `@${manifest.version}` : ''}`);
  await assertTrusted(root);
  return { kind: 'package', name, root, runbookDirs: [join(root, 'runbooks')], taskDirs: [join(root, 'tasks')], version: manifest.version };
}
