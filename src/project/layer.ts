// One source of runbooks, templates and tasks on the search path: the project, a runbook package,
// or runbook's own library. Earlier layers win; see library.ts for the rules.

export interface Layer {
  kind: 'project' | 'package' | 'shipped';
  /** The prefix that names this layer's runbooks and tasks explicitly (`acme-kafka/kafka`, `runbook/zookeeper`); none for the project. */
  name?: string;
  root: string;
  /** Folders of runbooks, in search order; each one's templates/ holds its templates. */
  runbookDirs: string[];
  /** Folders whose top-level *.ts files are task modules. */
  taskDirs: string[];
  version?: string;
}

/** How a layer is shown: `project`, `acme-kafka`, `runbook (shipped)`. */
export function layerLabel(layer: Layer): string {
  if (layer.kind === 'project') return 'project';
  return layer.kind === 'shipped' ? `${layer.name} (shipped)` : layer.name!;
}
