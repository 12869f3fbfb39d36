// kafka_storage on this machine: what meta.properties says, what is formatted,
// what is refused. The format itself is a stand-in kafka-storage.sh that writes what Kafka's
// writes (meta.properties, bootstrap.checkpoint) into the config's log.dirs, honouring
// --ignore-formatted; Kafka's real tool formats real nodes in test/serial/kraft.test.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkaStorage, { storageProblems } from '../../tasks/kafka_storage.js';
import { newClusterId, parseProperties, readLogDirs } from '../../src/sdk/kafka-storage.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, converge, lifecycle, shell, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

const ID = 'MkU3OEVBNTcwNTJENDM2Qk';
const OTHER = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** A Kafka home whose bin/kafka-storage.sh formats the log.dirs of the config it is given. */
function kafkaHome(): string {
  const home = tempDir('runbook-kafka-home-');
  mkdirSync(join(home, 'bin'));
  mkdirSync(join(home, 'config'));
  writeFileSync(join(home, 'bin/kafka-topics.sh'), '#!/bin/sh\n');
  writeFileSync(
    join(home, 'bin/kafka-storage.sh'),
    `#!/bin/sh
# format --ignore-formatted --cluster-id=ID -c CONFIG, as Kafka's StorageTool does it for these
# tests (the id joined to its option: apart, one starting with '-' would be read as an option).
case $3 in --cluster-id=*) id=\${3#--cluster-id=} ;; *) echo "unexpected: $*" >&2; exit 2 ;; esac
[ "$1" = format ] && [ "$2" = --ignore-formatted ] && [ "$4" = -c ] || { echo "unexpected: $*" >&2; exit 2; }
node=$(sed -n 's/^node.id=//p' "$5"); dirs=$(sed -n 's/^log.dirs=//p' "$5" | tr , ' ')
for d in $dirs; do
  [ -f "$d/meta.properties" ] && continue
  mkdir -p "$d" && printf '#\\nnode.id=%s\\nversion=1\\ncluster.id=%s\\n' "$node" "$id" > "$d/meta.properties" && : > "$d/bootstrap.checkpoint"
done
`,
  );
  chmodSync(join(home, 'bin/kafka-storage.sh'), 0o755);
  chmodSync(join(home, 'bin/kafka-topics.sh'), 0o755);
  return home;
}

function node(dirs: string[], nodeId = 1, clusterId = ID) {
  const home = kafkaHome();
  const config = join(home, 'config/server.properties');
  writeFileSync(config, `process.roles=broker,controller\nnode.id=${nodeId}\nlog.dirs=${dirs.join(',')}\n`);
  return { cluster_id: clusterId, node_id: nodeId, dirs, config, kafka_home: home };
}

const meta = (clusterId: string, nodeId: number) => `#\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\n`;

test('meta.properties is read as Java properties; cluster ids look like Kafka\'s', () => {
  assert.equal([...parseProperties('#c\n! also\nnode.id = 3\ncluster.id=abc\n\nkey:value\n')], [['node.id', '3'], ['cluster.id', 'abc'], ['key', 'value']]);
  const ids = new Set(Array.from({ length: 200 }, newClusterId));
  assert.is(ids.size, 200);
  for (const id of ids) assert.ok(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id), id);
});

test('each directory is missing, unformatted (with its entry count) or formatted, whatever its path holds', async () => {
  const root = tempDir();
  const odd = join(root, "it's $(x) dir");
  mkdirSync(odd);
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data', 'stray.log'), 'x');
  // A file that tries to pass for the next directory's section (the service user writes it).
  writeFileSync(join(odd, 'meta.properties'), `${meta(ID, 2)}\0\n@@d1\nformatted\n`);
  const found = await readLogDirs(shell, [odd, join(root, 'nope'), join(root, 'empty'), join(root, 'data')]);
  assert.equal(found, [
    { dir: odd, state: 'formatted', clusterId: ID, nodeId: '2' },
    { dir: join(root, 'nope'), state: 'missing' },
    { dir: join(root, 'empty'), state: 'unformatted', entries: 0 },
    { dir: join(root, 'data'), state: 'unformatted', entries: 1 },
  ]);
});

test('formats the directories without meta.properties, once; undo takes back only what format wrote', async () => {
  const root = tempDir();
  const a = join(root, 'a');
  const b = join(root, 'b');
  mkdirSync(a);
  writeFileSync(join(a, 'partition.log'), 'data');
  const run = await lifecycle(kafkaStorage, node([a, b]), { root });
  assert.match(run.check.summary!, new RegExp(`^would format ${a}, ${b} \\(no meta.properties; cluster ${ID}, node 1\\)$`));
  const converged = await converge(kafkaStorage, node([a, b]));
  assert.is(readFileSync(join(b, 'meta.properties'), 'utf8'), meta(ID, 1));
  assert.ok((await check(kafkaStorage, node([a, b]))).inSync, 'a second run formats nothing');
  assert.is(readFileSync(join(a, 'partition.log'), 'utf8'), 'data');
  assert.ok(converged.check.summary);
});

// A ZooKeeper-mode broker makes its cluster id without Kafka's later care to avoid a leading '-'
// (1 in 64): migrate-to-kraft formats its controllers with such an id, which a separate `-t ID`
// would hand to kafka-storage.sh as an option (seen in the lab: "argument --cluster-id/-t:
// expected one argument").
test('a cluster id that starts with - is formatted as the id, not read as an option', async () => {
  const dir = join(tempDir(), 'd');
  const id = '-iXXiLhsT-2UwNk_fkFKZg';
  await converge(kafkaStorage, node([dir], 1, id));
  assert.is(readFileSync(join(dir, 'meta.properties'), 'utf8'), meta(id, 1));
});

test('a directory of another cluster, or of another node, is refused in check mode too, and nothing is formatted', async () => {
  const root = tempDir();
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  mkdirSync(a);
  writeFileSync(join(a, 'meta.properties'), meta(OTHER, 1));
  const e = await caught(check(kafkaStorage, node([a, b]), { checkMode: true }));
  assert.match(e.message, new RegExp(`refusing to format: ${a} belongs to cluster ${OTHER}, not ${ID}`));
  assert.ok(!existsSync(b));
  writeFileSync(join(a, 'meta.properties'), meta(ID, 7));
  assert.match((await caught(check(kafkaStorage, node([a, b])))).message, /is formatted for node.id 7, and this host's node id is 1/);
  assert.equal(storageProblems([{ dir: a, state: 'formatted', clusterId: ID, nodeId: '1' }], ID, 1), []);
});

test.run();
