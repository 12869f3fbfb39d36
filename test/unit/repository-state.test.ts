// repositoryState, against real git: the commit a run's history line names, and whether the ops
// repository had changes not committed.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryState } from '../../src/engine/host-record.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-repo-state-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

test('outside a work tree, and before the first commit: nothing', async () => {
  assert.equal(await repositoryState(dir), {});
  git('init', '-q');
  writeFileSync(join(dir, 'site.yaml'), 'steps: []\n');
  assert.equal(await repositoryState(dir), {});
});

test('the commit, clean; then dirty by an edit and by a new file', async () => {
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
  assert.equal(await repositoryState(dir), { commit: git('rev-parse', 'HEAD'), dirty: false });
  writeFileSync(join(dir, 'site.yaml'), 'steps: [x]\n');
  assert.equal(await repositoryState(dir), { commit: git('rev-parse', 'HEAD'), dirty: true });
  git('checkout', '-q', '--', 'site.yaml');
  writeFileSync(join(dir, 'new.yaml'), '');
  assert.equal(await repositoryState(dir), { commit: git('rev-parse', 'HEAD'), dirty: true });
});

test.run();
