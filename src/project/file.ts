// runbook.yaml, the project file at the root of an ops repository: which runbook it needs, its
// default inventory, its extra runbook and task folders and the runbook packages it uses. Every
// value keeps its file:line:col so that a missing package or an unmet version is reported where it
// is written.

import { isMap, type Node } from 'yaml';
import semver from 'semver';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { SourcePos } from '../model.js';
import { throwCollected } from '../load/errors.js';
import { issueErrors } from '../load/issues.js';
import { collectPositions, readYamlFile } from '../load/yaml-source.js';
import { runbookVersion } from './version.js';
import { PROJECT_FILE } from './find.js';

const relativeDir = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.startsWith('~'), { message: 'a folder relative to the project root' })
  .describe('a folder, relative to the project root');

/** npm's package name rules (scoped or not), which is also how a package is named in `include:`. */
const packageName = z
  .string()
  .regex(/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/, 'an npm package name (lower case, e.g. acme-kafka or @acme/kafka)')
  .refine((n) => n !== 'runbook', { message: '"runbook" is runbook itself: its runbooks and tasks are always available' });

export const projectFileSchema = z
  .object({
    requires: z
      .string()
      .refine((r) => semver.validRange(r) !== null, { message: 'a semver range, e.g. ">=0.2.0 <1"' })
      .optional()
      .describe('the versions of runbook this project works with (a semver range)'),
    inventory: z.string().min(1).optional().describe('the inventory used when -i is not given, relative to the project root'),
    runbooks: z.array(relativeDir).default([]).describe('more runbook folders, searched after runbooks/'),
    tasks: z.array(relativeDir).default([]).describe('more task folders, loaded after tasks/'),
    packages: z.array(packageName).default([]).describe("runbook packages (npm packages in the project's node_modules) whose runbooks and tasks this project uses"),
  })
  .strict();

export type ProjectFile = z.output<typeof projectFileSchema> & {
  file: string;
  /** Where each value is written, by dotted path (`packages.1`). */
  positions: Record<string, SourcePos>;
};

export async function readProjectFile(file: string): Promise<ProjectFile> {
  const source = await readYamlFile(file);
  const root = source.doc.contents as Node | null;
  // An empty runbook.yaml is a valid one: it only marks the project root.
  if (root !== null && !isMap(root)) throw new UserError('schema', `${PROJECT_FILE} is a mapping (requires:, inventory:, packages:, ...)`, { pos: source.pos(root) });
  const positions: Record<string, SourcePos> = {};
  collectPositions(source, root, '', positions);
  const parsed = projectFileSchema.safeParse(root === null ? {} : source.value(root));
  if (!parsed.success) throwCollected(issueErrors(parsed.error, { positions, prefix: '', keyNoun: `key of ${PROJECT_FILE}`, schema: projectFileSchema }));
  const project: ProjectFile = { ...parsed.data!, file, positions };
  assertVersion(project.requires, positions.requires ?? { file, line: 1, col: 1 }, `this project (${file})`);
  return project;
}

/** Refuses to go on when the running runbook is not in `range` (a project's or a package's `requires`). */
export function assertVersion(range: string | undefined, pos: SourcePos, who: string): void {
  if (range === undefined) return;
  const running = runbookVersion();
  if (semver.satisfies(running, range, { includePrerelease: true })) return;
  throw new UserError('version', `${who} needs runbook ${range}, and this is runbook ${running}`, {
    pos,
    hint: semver.gtr(running, range) ? 'install a runbook version in that range, or widen the range if it works with this one' : 'upgrade runbook (npm install -g runbook@<version>)',
  });
}
