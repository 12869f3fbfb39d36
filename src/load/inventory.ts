// Inventories: Ansible's YAML (.yaml/.yml/.json) and INI (anything else) formats. Connection
// settings come from Ansible's own names only (ansible_host, ansible_port, ansible_user, ...), at
// any level (all, group, host): a plain var named port, user, address or key is an application's
// setting (`[app:vars] port=8080`), and once made runbook connect to port 8080.

import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, extname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Inventory, InventoryGroup, InventoryHost, Vars } from '../model.js';
import { parseIniInventory, type RawInventory } from './inventory-ini.js';
import { inventoryVars } from './inventory-query.js';
import { parseYamlInventory } from './inventory-yaml.js';
import { parseYamlText } from './yaml-source.js';
import { markRevealed, openIfVaulted } from '../vault/keyring.js';
import { mergeVarsDirs } from './inventory-vars-dirs.js';

/** `~/x` → home/x; a relative path resolves from the inventory's directory. */
function expandPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return resolve(baseDir, path);
}

function asBool(value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const s = String(value).toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'off', '0'].includes(s)) return false;
  return undefined;
}

function implicitInventory(): Inventory {
  const localhost: InventoryHost = { name: 'localhost', connection: 'local', address: 'localhost', vars: {} };
  return {
    hash: createHash('sha256').update('').digest('hex'),
    hosts: new Map([['localhost', localhost]]),
    groups: new Map([
      ['all', { name: 'all', hosts: ['localhost'], children: [], vars: {} }],
      ['ungrouped', { name: 'ungrouped', hosts: ['localhost'], children: [], vars: {} }],
    ]),
  };
}

/**
 * The inventory at `path`, with the group_vars/ and host_vars/ beside it, then those in `varsDirs`
 * (beside the runbook, as Ansible reads them beside the playbook: they win for the same group or
 * host; a more specific group still wins over `all`).
 */
export async function loadInventory(path: string | undefined, options: { varsDirs?: string[] } = {}): Promise<Inventory> {
  if (path === undefined) return implicitInventory();
  const file = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UserError('inventory', `cannot read inventory ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {}, { cause: e });
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  // A vaulted inventory (Ansible's, either format) is opened first, and every var in it is a secret.
  const { text, vaulted } = openIfVaulted(file, bytes.toString('utf8'));
  const raw = ['.yaml', '.yml', '.json'].includes(extname(file)) ? parseYamlInventory(parseYamlText(file, text, hash)) : parseIniInventory(file, text);
  if (vaulted) for (const entry of [...raw.hosts.values(), ...raw.groups.values()]) markRevealed(entry.vars);
  const dirs = [...new Set([dirname(file), ...(options.varsDirs ?? []).map((d) => resolve(d))])];
  const dirsHashes: string[] = [];
  for (const dir of dirs) dirsHashes.push(await mergeVarsDirs(raw, dir));
  const dirsHash = dirsHashes.join('');
  return buildInventory(file, dirsHash ? createHash('sha256').update(hash).update(dirsHash).digest('hex') : hash, raw);
}

function buildInventory(file: string, hash: string, raw: RawInventory): Inventory {
  const groups = new Map<string, InventoryGroup>();
  const all = raw.groups.get('all') ?? { name: 'all', hosts: [], children: [], vars: {} };
  const childOfSome = new Set([...raw.groups.values()].flatMap((g) => g.children));
  const topLevel = [...raw.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped' && !childOfSome.has(g));
  for (const [name, g] of raw.groups) {
    for (const child of g.children) {
      if (!raw.groups.has(child)) throw new UserError('inventory', `group "${name}" names child group "${child}", which has no entry`, { pos: g.pos });
    }
  }
  groups.set('all', { ...all, hosts: [...raw.hosts.keys()], children: [...new Set([...all.children, ...topLevel])] });
  for (const [name, g] of raw.groups) if (name !== 'all') groups.set(name, g);
  const grouped = new Set([...groups.values()].filter((g) => g.name !== 'all' && g.name !== 'ungrouped').flatMap((g) => g.hosts));
  const ungrouped = groups.get('ungrouped') ?? { name: 'ungrouped', hosts: [], children: [], vars: {} };
  groups.set('ungrouped', { ...ungrouped, hosts: [...raw.hosts.keys()].filter((h) => !grouped.has(h)) });

  const inventory: Inventory = { file, hash, hosts: new Map(), groups };
  const baseDir = dirname(file);
  for (const [name, h] of raw.hosts) inventory.hosts.set(name, { name, connection: 'ssh', address: name, vars: h.vars, pos: h.pos });
  for (const host of inventory.hosts.values()) Object.assign(host, connectionOf(host, inventoryVars(inventory, host.name), baseDir));
  const knownHosts = groups.get('all')!.vars.known_hosts_file;
  if (knownHosts !== undefined) inventory.knownHostsFile = expandPath(String(knownHosts), baseDir);
  return inventory;
}

function connectionOf(host: InventoryHost, vars: Vars, baseDir: string): Partial<InventoryHost> {
  // Ansible's names, then its legacy ansible_ssh_* spellings; nothing else (see the header).
  const pick = (...names: string[]) => names.map((n) => vars[n]).find((v) => v !== undefined);
  const fail = (message: string) => new UserError('inventory', `host ${host.name}: ${message}`, { pos: host.pos, host: host.name });
  const connection = String(pick('ansible_connection') ?? 'ssh');
  if (connection !== 'ssh' && connection !== 'local') throw fail(`ansible_connection must be ssh or local, not "${connection}"`);
  const portValue = pick('ansible_port', 'ansible_ssh_port');
  const port = portValue === undefined ? undefined : Number(portValue);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw fail(`ansible_port must be a number from 1 to 65535, not "${String(portValue)}"`);
  const becomeValue = pick('ansible_become');
  const become = asBool(becomeValue);
  if (becomeValue !== undefined && become === undefined) throw fail(`ansible_become must be true or false, not "${String(becomeValue)}"`);
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  const key = text(pick('ansible_ssh_private_key_file', 'ansible_private_key_file'));
  return {
    connection,
    address: text(pick('ansible_host', 'ansible_ssh_host')) ?? host.name,
    port,
    user: text(pick('ansible_user', 'ansible_ssh_user')),
    key: key === undefined ? undefined : expandPath(key, baseDir),
    jumpHost: proxyJump(text(pick('ansible_ssh_common_args')), text(pick('ansible_ssh_extra_args'))),
    password: text(pick('ansible_password', 'ansible_ssh_pass')),
    become,
    becomeUser: text(pick('ansible_become_user')),
  };
}

/**
 * The jump host Ansible users give as ssh options (`ansible_ssh_common_args: -o ProxyJump=bastion`
 * or `-J bastion`): the last one named wins, as with ssh. Other options are not ours to apply.
 */
export function proxyJump(...args: Array<string | undefined>): string | undefined {
  let jump: string | undefined;
  for (const words of args.filter((a): a is string => a !== undefined).map((a) => a.trim().split(/\s+/))) {
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const option = w === '-o' ? words[++i] : w.startsWith('-o') ? w.slice(2) : undefined;
      const m = option === undefined ? undefined : /^ProxyJump[= ]?(.+)$/i.exec(option.replace(/^["']|["']$/g, ''));
      if (m) jump = m[1];
      else if (w === '-J') jump = words[++i];
      else if (w.startsWith('-J') && w.length > 2) jump = w.slice(2);
    }
  }
  return jump === undefined || jump.toLowerCase() === 'none' ? undefined : jump;
}
