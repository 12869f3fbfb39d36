// Inventories read as Ansible reads them, checked against ansible-inventory itself (Debian's
// ansible-core): for each inventory below, every host's merged vars (values and their types),
// and every group's hosts and children, must equal `ansible-inventory --list`. The inventories
// cover INI typing (Python literals: 8080, True, None, '007', "x y", [1, 2]), ranges (stepped,
// letters, as YAML host keys), host:port, nested children, ansible_group_priority, YAML 1.1
// booleans, and group_vars/ and host_vars/ beside the inventory (files and directories), and
// names in Python's order.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadInventory } from '../../src/load/inventory.js';
import { inventoryVars } from '../../src/load/inventory-query.js';

let dir: string;

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

function ansibleInventory(path: string): Promise<AnsibleList> {
  return new Promise((resolve, reject) =>
    execFile('ansible-inventory', ['-i', path, '--list'], { env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False' } }, (e, stdout, stderr) =>
      e ? reject(new Error(`ansible-inventory -i ${path}: ${stderr}`)) : resolve(JSON.parse(stdout) as AnsibleList),
    ),
  );
}

/** The files of one case: the inventory first, then its group_vars/host_vars. */
function write(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return join(root, Object.keys(files)[0]);
}

async function compare(path: string): Promise<void> {
  const [ours, theirs] = [await loadInventory(path), await ansibleInventory(path)];
  const hostvars = theirs._meta.hostvars;
  const hosts = new Set<string>();
  for (const [group, entry] of Object.entries(theirs)) {
    if (group === '_meta') continue;
    const { hosts: direct = [], children = [] } = entry as { hosts?: string[]; children?: string[] };
    direct.forEach((h) => hosts.add(h));
    const mine = ours.groups.get(group);
    assert.ok(mine, `group ${group}`);
    // Our `all` lists every host itself; Ansible's holds them through its children.
    if (group === 'all') continue;
    assert.equal([...mine.hosts].sort(), [...direct].sort(), `hosts of ${group}`);
    assert.equal([...mine.children].sort(), [...children].sort(), `children of ${group}`);
  }
  assert.equal([...ours.hosts.keys()].sort(), [...hosts].sort(), 'the hosts');
  for (const host of hosts) assert.equal(inventoryVars(ours, host), hostvars[host] ?? {}, `vars of ${host}`);
}

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-inventory-vs-ansible-'));
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('INI: Python-literal typing on host lines and in [:vars], ranges, host:port, children', async () => {
  await compare(
    write('ini', {
      'hosts.ini': `bastion ansible_host=203.0.113.5

[app]
web[01:10:3] a=8080 b="8080" c=true d=True e=yes f=1.5 g="x y" h=[1,2] i=None j=007 k='q'
node-[a:c]
db1:2222 role=primary

[app:vars]
port=8080
flag=True
s="quoted"
n=none
l=[1, 2]
m={"k": "v"}

[site:children]
app

[site:vars]
port=9090
region=eu
`,
    }),
  );
});

test('YAML: range keys, nested children, ansible_group_priority, YAML 1.1 booleans', async () => {
  await compare(
    write('yaml', {
      'hosts.yml': `all:
  vars:
    flag: yes
    off_flag: off
    quoted: "yes"
  hosts:
    kafka[1:3]:
      ansible_host: 10.0.0.1
  children:
    zookeeper:
      vars: { level: zookeeper, same_depth: zookeeper }
      hosts:
        kafka1: { myid: 1 }
        kafka2: { myid: 2 }
    kafka:
      vars: { level: kafka, same_depth: kafka, ansible_group_priority: 0 }
      hosts:
        kafka[1:3]: {}
      children:
        brokers:
          vars: { level: brokers }
          hosts:
            kafka3: { enabled: no }
`,
    }),
  );
});

test('group_vars/ and host_vars/ beside the inventory: files, directories (later wins), over the inventory file', async () => {
  await compare(
    write('dirs', {
      'hosts.ini': `[kafka]
kafka01 broker_id=1 heap=1g
kafka02 broker_id=2

[kafka:vars]
from_file=1
overridden=file
`,
      'group_vars/all.yml': 'everywhere: true\noverridden: all\n',
      'group_vars/kafka/10-main.yml': 'overridden: group_vars\nlist: [1, 2]\n',
      'group_vars/kafka/20-more.yaml': 'list: [3]\nmore: yes\n',
      'group_vars/nogroup.yml': 'never: used\n',
      'host_vars/kafka01': 'heap: 2g\n',
      'host_vars/kafka02/main.json': '{"json": {"nested": 1}}\n',
    }),
  );
});

test('names in Python\'s order, by code point: sibling groups Brokers and apps, group_vars files B.yml and a.yml', async () => {
  // localeCompare would put "apps" before "Brokers" and "a.yml" before "B.yml": the other value would win.
  await compare(
    write('case', {
      'hosts.yml': `all:
  children:
    Brokers:
      vars: { winner: Brokers }
      hosts: { kafka1: {} }
    apps:
      vars: { winner: apps }
      hosts: { kafka1: {} }
`,
      'group_vars/Brokers/B.yml': 'file_winner: B\n',
      'group_vars/Brokers/a.yml': 'file_winner: a\n',
    }),
  );
});

test.run();
