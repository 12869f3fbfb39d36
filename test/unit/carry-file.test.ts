// An upgrade's move carries the node's config file into the new release (sdk/install-switch.ts):
// a file the release ships keeps the release's owner and mode; one it lacks (an instance's own
// config, server-controller.properties) takes the carried file's, not root's. Before, the latter
// was written as root: the next converge changed its owner and restarted every moved controller.
// Runs as root (chown), on this machine's shell.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chown, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { carryFile } from '../../src/sdk/install-switch.js';
import { cleanup, shell, tempDir } from '../helpers/task-harness.js';

const NOBODY = 65534;

test.after(cleanup);

test('carried: a file the release ships keeps its owner and mode; a new one takes the carried one\'s', async () => {
  const dir = tempDir();
  const [old, next] = [join(dir, 'kafka-3.9.2'), join(dir, 'kafka-4.1.1')];
  for (const d of [old, next]) await mkdir(join(d, 'config'), { recursive: true });
  await writeFile(join(old, 'config/server.properties'), 'node.id=1\n', { mode: 0o640 });
  await writeFile(join(old, 'config/server-controller.properties'), 'node.id=3001\n', { mode: 0o600 });
  await chown(join(old, 'config/server-controller.properties'), NOBODY, NOBODY);
  await writeFile(join(next, 'config/server.properties'), '# Apache sample\n', { mode: 0o644 });
  await symlink(old, join(dir, 'kafka'));

  await carryFile(shell, join(dir, 'kafka'), next, 'config/server.properties');
  await carryFile(shell, join(dir, 'kafka'), next, 'config/server-controller.properties');

  assert.is(await readFile(join(next, 'config/server.properties'), 'utf8'), 'node.id=1\n');
  const shipped = await stat(join(next, 'config/server.properties'));
  assert.is(shipped.mode & 0o777, 0o644);
  assert.is(shipped.uid, process.getuid!());
  assert.is(await readFile(join(next, 'config/server-controller.properties'), 'utf8'), 'node.id=3001\n');
  const own = await stat(join(next, 'config/server-controller.properties'));
  assert.is(own.mode & 0o777, 0o600);
  assert.equal([own.uid, own.gid], [NOBODY, NOBODY]);
});

test.run();
