// Search-path layers for tests that load tasks from a fixture folder, not from a project.

import type { Layer } from '../../src/project/layer.js';

export function taskLayer(dir: string): Layer {
  return { kind: 'project', root: dir, runbookDirs: [], taskDirs: [dir] };
}
