// What the tests that run ansible-playbook beside runbook compare: the tree each tool left, and
// what each reported for the steps named `case <i>: ...`.

import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export type Outcome = 'changed' | 'ok' | 'failed';

/**
 * Type, mode, content or link target of everything under `root` (the root itself written `ROOT`
 * in link targets, so two tools' trees compare), and which files share an inode (hard links).
 */
export function tree(root: string): string[] {
  const entries = readdirSync(root, { recursive: true }).map(String).sort();
  const inodes = new Map<number, string[]>();
  for (const p of entries) {
    const st = lstatSync(join(root, p));
    if (st.isFile()) inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), p]);
  }
  return entries.map((p) => {
    const st = lstatSync(join(root, p));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) return `${p} -> ${readlinkSync(join(root, p)).replaceAll(root, 'ROOT')}`;
    if (st.isDirectory()) return `${p}/ ${mode}`;
    const shared = inodes.get(st.ino)!.filter((q) => q !== p);
    return `${p} ${mode} ${JSON.stringify(readFileSync(join(root, p), 'utf8'))}${shared.length ? ` same inode as ${shared.join(', ')}` : ''}`;
  });
}

/** Per case, what ansible-playbook's output says under the case's TASK header. */
export function ansibleOutcomes(output: string, cases: number): Outcome[] {
  return Array.from({ length: cases }, (_, i) => {
    const at = output.indexOf(`TASK [case ${i}: `);
    if (at < 0) return 'failed';
    const next = output.indexOf('TASK [', at + 1);
    const body = output.slice(at, next < 0 ? undefined : next);
    return /^(fatal|failed): \[localhost\]/m.test(body) ? 'failed' : /^changed: \[localhost\]/m.test(body) ? 'changed' : 'ok';
  });
}

/** Per case, what runbook's output says of its step. */
export function ourOutcomes(output: string, cases: number): Outcome[] {
  const lines = output.split('\n');
  return Array.from({ length: cases }, (_, i) => {
    const line = lines.find((l) => l.includes(`] case ${i}: `));
    if (!line) return 'failed';
    return line.startsWith('changed:') ? 'changed' : line.startsWith('ok:') ? 'ok' : 'failed';
  });
}
