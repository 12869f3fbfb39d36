// runbook's caches hold code it runs (compiled tasks and templates), often as root: their folders
// are made private and refused when another user could have put code there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../src/project/cache-dir.js';
import type { UserError } from '../../src/errors.js';

let root: string;
const saved = process.env.XDG_CACHE_HOME;

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'runbook-cache-dir-'));
  process.env.XDG_CACHE_HOME = join(root, 'cache');
});
test.after.each(() => {
  process.env.XDG_CACHE_HOME = saved;
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  rmSync(root, { recursive: true, force: true });
});

const refusal = (): UserError => {
  try {
    cacheDir('tasks');
  } catch (e) {
    return e as UserError;
  }
  throw new Error('the cache was accepted');
};

test('made private: runbook/ and runbook/tasks/ are 0700', () => {
  const dir = cacheDir('tasks');
  assert.is(dir, join(root, 'cache', 'runbook', 'tasks'));
  assert.is(statSync(dir).mode & 0o777, 0o700);
  assert.is(statSync(join(root, 'cache', 'runbook')).mode & 0o777, 0o700);
});

test('a folder others may write to is refused, saying which and what to do', () => {
  cacheDir('tasks');
  chmodSync(join(root, 'cache', 'runbook', 'tasks'), 0o775);
  const e = refusal();
  assert.is(e.kind, 'usage');
  assert.match(e.message, /others may write to .*runbook\/tasks \(mode 775\)/);
  assert.match(e.hint ?? '', /remove .*runbook .*XDG_CACHE_HOME/);
});


test('a runbook/ folder of another user is refused (as root, the test can make one)', () => {
  if (process.getuid?.() !== 0) return;
  mkdirSync(join(root, 'cache', 'runbook'), { recursive: true, mode: 0o700 });
  chownSync(join(root, 'cache', 'runbook'), 65534, 65534);
  assert.match(refusal().message, /runbook belongs to uid 65534/);
});

test('a link planted as runbook/tasks is refused; a base that is a link is followed', () => {
  mkdirSync(join(root, 'elsewhere'), { mode: 0o700 });
  symlinkSync(join(root, 'elsewhere'), join(root, 'cache'));
  assert.is(statSync(cacheDir('tasks')).mode & 0o777, 0o700);
  rmSync(join(root, 'elsewhere', 'runbook', 'tasks'), { recursive: true });
  mkdirSync(join(root, 'other'), { mode: 0o700 });
  symlinkSync(join(root, 'other'), join(root, 'elsewhere', 'runbook', 'tasks'));
  assert.match(refusal().message, /runbook\/tasks is not a directory/);
});

test('a base others may write to is refused unless it has the sticky bit (as /tmp)', () => {
  mkdirSync(join(root, 'cache'), { mode: 0o777 });
  chmodSync(join(root, 'cache'), 0o777);
  assert.match(refusal().message, /others may write to .*cache \(mode 777\)/);
  chmodSync(join(root, 'cache'), 0o1777);
  cacheDir('tasks');
});

test.run();
