// symlink: the manuals' `ln -s kafka_2.13-x kafka`, idempotently; a wrong link replaced, a real
// file only with force (and restored by undo), a directory holding data never.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import symlink from '../../tasks/symlink.js';
import { caught } from '../helpers/caught.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

test('a new link: --check predicts, apply converges, a second run is in sync, undo removes it', async () => {
  const dir = tempDir();
  mkdirSync(`${dir}/kafka_2.13-3.5.1`);
  await lifecycle(symlink, { src: 'kafka_2.13-3.5.1', dest: `${dir}/kafka` }, { root: dir });
  await converge(symlink, { src: 'kafka_2.13-3.5.1', dest: `${dir}/kafka` });
  assert.ok((await check(symlink, { src: 'kafka_2.13-3.5.1', dest: `${dir}/kafka` })).inSync);
  assert.is(readlinkSync(`${dir}/kafka`), 'kafka_2.13-3.5.1');
});

test('a link pointing elsewhere is replaced; undo points it back', async () => {
  const dir = tempDir();
  symlinkSync('kafka_2.13-3.5.1', `${dir}/kafka`);
  const run = await lifecycle(symlink, { src: 'kafka_2.13-3.9.2', dest: `${dir}/kafka` }, { root: dir });
  assert.is(run.applied['kafka'].target, 'kafka_2.13-3.9.2');
  assert.is(readlinkSync(`${dir}/kafka`), 'kafka_2.13-3.5.1');
});

test('a real file at dest is refused, naming it; with force it is replaced, and undo brings it back', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/kafka`, 'keep me');
  const e = await caught(check(symlink, { src: 'kafka_2.13-3.9.2', dest: `${dir}/kafka` }));
  assert.match(e.message, new RegExp(`${dir}/kafka`));
  await lifecycle(symlink, { src: 'kafka_2.13-3.9.2', dest: `${dir}/kafka`, force: true }, { root: dir });
  assert.is(readFileSync(`${dir}/kafka`, 'utf8'), 'keep me');
});

test('a directory holding data is never replaced, even with force', async () => {
  const dir = tempDir();
  mkdirSync(`${dir}/kafka`);
  writeFileSync(`${dir}/kafka/data`, 'keep me');
  const e = await caught(check(symlink, { src: 'kafka_2.13-3.9.2', dest: `${dir}/kafka`, force: true }));
  assert.match(e.message, /not empty/);
  assert.is(readFileSync(`${dir}/kafka/data`, 'utf8'), 'keep me');
});

test('hostile targets and paths are data: written as given, never run', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, v] of hostileValues(canary).entries()) {
    if (v.includes('\0')) continue;
    await converge(symlink, { src: v, dest: `${dir}/l${i}` });
    assert.is(readlinkSync(`${dir}/l${i}`), v);
  }
  assert.not.ok(existsSync(canary));
});

test.run();
