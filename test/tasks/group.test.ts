// group: a local group on this machine (groupadd, groupmod, groupdel as root); undo deletes a
// group the step made, puts back a gid it changed, re-creates a group it removed with its gid.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import group, { parseGroupGid } from '../../tasks/group.js';
import { check, converge, hostileValues, undo } from '../helpers/task-harness.js';

// One name per process: suites run in parallel, and another may create groups too.
const NAME = `rbtest_grp${process.pid}`;
const gidOf = (name: string): number | null => {
  try {
    return parseGroupGid(execFileSync('getent', ['group', name], { encoding: 'utf8' }));
  } catch {
    return null;
  }
};
const freeGid = (): number => {
  for (let gid = 47000; ; gid++) {
    try {
      execFileSync('getent', ['group', String(gid)]);
    } catch {
      return gid;
    }
  }
};

test.after(() => {
  if (gidOf(NAME) !== null) execFileSync('groupdel', [NAME]);
});

test('parseGroupGid reads the gid of a getent line; no line, no group', () => {
  assert.is(parseGroupGid('kafka:x:998:\n'), 998);
  assert.is(parseGroupGid(''), null);
});

test('created once (--check says so and creates nothing), in sync after; undo deletes it', async () => {
  const dry = await check(group, { name: NAME, system: true }, { checkMode: true });
  assert.is(dry.summary, `create group ${NAME}`);
  assert.is(gidOf(NAME), null);
  const made = await converge(group, { name: NAME, system: true });
  assert.ok(gidOf(NAME)! < 1000, 'a system group takes a gid from the system range');
  assert.ok((await check(group, { name: NAME, system: true })).inSync);
  await undo(group, made.undo);
  assert.is(gidOf(NAME), null);
});

test('a changed gid is put back by undo; a removed group comes back with its gid', async () => {
  execFileSync('groupadd', [NAME]);
  const original = gidOf(NAME)!;
  const wanted = freeGid();
  const changed = await converge(group, { name: NAME, gid: wanted });
  assert.is(changed.check.summary, `group ${NAME}: gid ${original} → ${wanted}`);
  assert.is(gidOf(NAME), wanted);
  await undo(group, changed.undo);
  assert.is(gidOf(NAME), original);
  const removed = await converge(group, { name: NAME, state: 'absent' });
  assert.is(gidOf(NAME), null);
  assert.ok((await check(group, { name: NAME, state: 'absent' })).inSync);
  await undo(group, removed.undo);
  assert.is(gidOf(NAME), original);
  execFileSync('groupdel', [NAME]);
});

test('hostile names never reach groupadd: the schema refuses them', () => {
  for (const v of hostileValues('/tmp/pwned')) assert.not.ok(group.args.safeParse({ name: v }).success, v);
});

test.run();
