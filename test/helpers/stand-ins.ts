// Stand-ins for the commands a rolling task reads on its host, for checking its decisions on
// this machine: a `systemctl` first on PATH that says the unit runs, and executable scripts
// (a Kafka tool printing captured output).

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An executable sh script at `path`. */
export function standIn(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** `root`/bin, first on this process's PATH, with a systemctl that says every unit is active. */
export function runningUnits(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  // As the rolling tasks ask it: is-active, and the unit's invocation id.
  standIn(join(root, 'bin/systemctl'), `case "$1" in is-active) echo active ;; show) echo 5b1e3c ;; *) exit 1 ;; esac`);
  process.env.PATH = `${join(root, 'bin')}:${process.env.PATH}`;
}
