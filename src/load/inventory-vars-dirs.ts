// Ansible's group_vars/ and host_vars/ beside an inventory file: `group_vars/kafka.yml` (or
// .yaml, .json, no extension) and `group_vars/kafka/` (every such file in it, in name order, the
// later winning), the same for hosts. They win over the vars written in the inventory file, as in
// Ansible. Vaulted files among them are opened (vault/keyring.ts).

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Vars } from '../model.js';
import { ensureGroup, type RawInventory } from './inventory-ini.js';
import { byCodePoint } from './inventory-query.js';
import { parseVarsFile } from './vars-file.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/**
 * The files holding each name's vars under `dir` (group_vars or host_vars), in the order they
 * apply: one listing of the directory, not a lookup per host (200 hosts cost 45 ms that way).
 */
async function varsFilesByName(dir: string): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const ext of EXTENSIONS) {
    for (const entry of entries) {
      if (!entry.name.endsWith(ext) || entry.name.startsWith('.')) continue;
      const name = ext ? entry.name.slice(0, -ext.length) : entry.name;
      const path = join(dir, entry.name);
      const st = await stat(path).catch(() => undefined);
      const files = st?.isFile() ? [path] : st?.isDirectory() && ext === '' ? await filesUnder(path) : [];
      if (files.length) byName.set(name, [...(byName.get(name) ?? []), ...files]);
    }
  }
  return byName;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => byCodePoint(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (EXTENSIONS.some((ext) => ext !== '' && entry.name.endsWith(ext)) || !entry.name.includes('.')) out.push(path);
  }
  return out;
}

/**
 * Merges the vars directories beside the inventory into `raw`; returns what they add to the
 * inventory's hash (so a resume sees a changed group_vars file), empty when there are none.
 */
export async function mergeVarsDirs(raw: RawInventory, inventoryDir: string): Promise<string> {
  const hash = createHash('sha256');
  let any = false;
  const [groupFiles, hostFiles] = await Promise.all([varsFilesByName(join(inventoryDir, 'group_vars')), varsFilesByName(join(inventoryDir, 'host_vars'))]);
  const apply = async (files: string[] | undefined, into: () => Vars) => {
    for (const file of files ?? []) {
      const bytes = await readFile(file);
      hash.update(`${file}\n`).update(bytes);
      any = true;
      Object.assign(into(), parseVarsFile(file, bytes.toString('utf8'), 'inventory'));
    }
  };
  const groups = new Set([...raw.groups.keys(), 'all']);
  for (const group of groups) await apply(groupFiles.get(group), () => ensureGroup(raw, group).vars);
  for (const [host, h] of raw.hosts) await apply(hostFiles.get(host), () => h.vars);
  return any ? hash.digest('hex') : '';
}
