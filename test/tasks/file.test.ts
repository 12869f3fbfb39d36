import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import file from '../../tasks/file.js';
import symlink from '../../tasks/symlink.js';
import { check, cleanup, converge, hostileValues, lifecycle, snapshot, tempDir } from '../helpers/task-harness.js';

const USER = 'rbtest_file';
let uid = -1;
test.before(() => {
  execFileSync('useradd', ['--system', '--no-create-home', USER]);
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
});
test.after(() => {
  execFileSync('userdel', [USER]);
  cleanup();
});

/** A release directory like an extracted tarball, and the stable link to it. */
function release(d: string): void {
  mkdirSync(`${d}/apache-zookeeper-3.7.1-bin/bin`, { recursive: true });
  mkdirSync(`${d}/apache-zookeeper-3.7.1-bin/conf`);
  writeFileSync(`${d}/apache-zookeeper-3.7.1-bin/bin/zkServer.sh`, '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(`${d}/apache-zookeeper-3.7.1-bin/conf/zoo.cfg`, 'tickTime=2000\n', { mode: 0o640 });
  symlinkSync('zoo.cfg', `${d}/apache-zookeeper-3.7.1-bin/conf/current.cfg`);
  symlinkSync('apache-zookeeper-3.7.1-bin', `${d}/zookeeper`);
}

const cases: Array<{ name: string; setup?: (d: string) => void; args: (d: string) => Record<string, unknown>; summary: RegExp; expect?: (d: string) => void }> = [
  {
    name: 'hard: a hard link to a file; undo removes it, the file stays',
    setup: (d) => writeFileSync(`${d}/data`, 'd\n'),
    args: (d) => ({ path: `${d}/twin`, state: 'hard', src: `${d}/data` }),
    summary: /^hard-link .*twin to .*data$/,
    expect: (d) => assert.is(statSync(`${d}/twin`).ino, statSync(`${d}/data`).ino),
  },
  {
    name: 'hard with force over a file: replaced; undo restores the file byte for byte',
    setup: (d) => {
      writeFileSync(`${d}/data`, 'd\n');
      writeFileSync(`${d}/twin`, 'mine\n', { mode: 0o600 });
    },
    args: (d) => ({ path: `${d}/twin`, state: 'hard', src: `${d}/data`, force: true }),
    summary: /^replace the file at .*twin with a hard link to .*data$/,
    expect: (d) => assert.is(statSync(`${d}/twin`).ino, statSync(`${d}/data`).ino),
  },
  {
    name: 'hard over a symlink: the symlink is replaced (as Ansible, no force needed); undo puts it back',
    setup: (d) => {
      writeFileSync(`${d}/data`, 'd\n');
      symlinkSync('elsewhere', `${d}/twin`);
    },
    args: (d) => ({ path: `${d}/twin`, state: 'hard', src: `${d}/data` }),
    summary: /^replace the link → elsewhere at .*twin with a hard link to .*data$/,
    expect: (d) => assert.ok(lstatSync(`${d}/twin`).isFile()),
  },
  {
    name: 'touch on a directory that is there: its mode only, its timestamps left alone',
    setup: (d) => mkdirSync(`${d}/dir`, { mode: 0o700 }),
    args: (d) => ({ path: `${d}/dir`, state: 'touch', mode: '0755' }),
    summary: /dir: mode 0700 → 0755$/,
    expect: (d) => assert.is(statSync(`${d}/dir`).mode & 0o777, 0o755),
  },
  {
    name: 'no state on a directory that is there: a directory (as Ansible), its mode set',
    setup: (d) => mkdirSync(`${d}/dir`, { mode: 0o700 }),
    args: (d) => ({ path: `${d}/dir`, mode: '0750' }),
    summary: /dir: mode 0700 → 0750$/,
    expect: (d) => assert.is(statSync(`${d}/dir`).mode & 0o777, 0o750),
  },
  {
    name: 'link with force to a src that is not there yet: made (as Ansible)',
    args: (d) => ({ path: `${d}/later`, state: 'link', src: 'not-yet', force: true }),
    summary: /^link .*later → not-yet$/,
    expect: (d) => assert.is(readlinkSync(`${d}/later`), 'not-yet'),
  },
  {
    name: 'directory: creates nested directories with a mode; undo removes the top one it created',
    args: (d) => ({ path: `${d}/a/b/c`, state: 'directory', mode: '0750' }),
    summary: /^create directory .*a\/b\/c$/,
    expect: (d) => assert.is(statSync(`${d}/a/b/c`).mode & 0o7777, 0o750),
  },
  {
    name: 'directory: an existing one gets its mode',
    setup: (d) => mkdirSync(`${d}/data`, { mode: 0o700 }),
    args: (d) => ({ path: `${d}/data`, state: 'directory', mode: '2755' }),
    summary: /data: mode 0700 → 2755$/,
    expect: (d) => assert.is(statSync(`${d}/data`).mode & 0o7777, 0o2755),
  },
  {
    name: 'directory + recurse through a link: the target tree changes, the link does not (chown -R zookeeper/ trap)',
    setup: release,
    args: (d) => ({ path: `${d}/zookeeper`, state: 'directory', owner: USER, group: USER, recurse: true }),
    summary: /\/zookeeper \(through the link to .*\/apache-zookeeper-3\.7\.1-bin\): owner rbtest_file:rbtest_file on 6 entries \(recursively\)$/,
    expect: (d) => {
      for (const p of ['', '/bin', '/bin/zkServer.sh', '/conf/zoo.cfg']) assert.is(statSync(`${d}/apache-zookeeper-3.7.1-bin${p}`).uid, uid, p);
      assert.is(lstatSync(`${d}/apache-zookeeper-3.7.1-bin/conf/current.cfg`).uid, uid, 'inner links are chowned themselves');
      assert.is(lstatSync(`${d}/zookeeper`).uid, 0, 'the link itself stays');
      assert.is(statSync(`${d}/apache-zookeeper-3.7.1-bin/conf/zoo.cfg`).mode & 0o777, 0o640, 'modes untouched');
    },
  },
  {
    name: 'directory + recurse with a mode changes only entries that differ',
    setup: release,
    args: (d) => ({ path: `${d}/apache-zookeeper-3.7.1-bin/conf`, state: 'directory', mode: '0755', recurse: true }),
    summary: /conf: mode 0755 on 1 entry \(recursively\)$/,
  },
  {
    name: 'absent: removes a whole tree, restored from a tar backup by undo',
    setup: (d) => {
      release(d);
      chmodSync(`${d}/apache-zookeeper-3.7.1-bin/conf`, 0o2750);
      execFileSync('chown', ['-h', `${USER}:${USER}`, `${d}/apache-zookeeper-3.7.1-bin/conf/current.cfg`]);
    },
    args: (d) => ({ path: `${d}/apache-zookeeper-3.7.1-bin`, state: 'absent' }),
    summary: /^remove directory .* \(recursively\)$/,
    expect: (d) => assert.not.ok(existsSync(`${d}/apache-zookeeper-3.7.1-bin`)),
  },
  {
    name: 'absent: a link is removed, not what it points to',
    setup: release,
    args: (d) => ({ path: `${d}/zookeeper`, state: 'absent' }),
    summary: /^remove link /,
    expect: (d) => assert.ok(existsSync(`${d}/apache-zookeeper-3.7.1-bin/bin`)),
  },
  {
    name: 'absent: a file',
    setup: (d) => writeFileSync(`${d}/f`, 'x', { mode: 0o600 }),
    args: (d) => ({ path: `${d}/f`, state: 'absent' }),
    summary: /^remove file /,
  },
  {
    name: 'touch: creates an empty file with owner and mode',
    args: (d) => ({ path: `${d}/myid`, state: 'touch', owner: USER, mode: '0600' }),
    summary: /^create empty file /,
    expect: (d) => assert.is(statSync(`${d}/myid`).uid, uid),
  },
  {
    name: 'file: sets the mode of an existing file',
    setup: (d) => writeFileSync(`${d}/f`, 'x', { mode: 0o644 }),
    args: (d) => ({ path: `${d}/f`, mode: '0400' }),
    summary: /f: mode 0644 → 0400$/,
  },
  {
    name: 'link: creates, and relinks a wrong link',
    setup: (d) => {
      release(d);
      symlinkSync('nowhere', `${d}/current`);
    },
    args: (d) => ({ path: `${d}/current`, state: 'link', src: 'apache-zookeeper-3.7.1-bin' }),
    summary: /^relink .*current → apache-zookeeper-3\.7\.1-bin \(was → nowhere\)$/,
    expect: (d) => assert.is(readlinkSync(`${d}/current`), 'apache-zookeeper-3.7.1-bin'),
  },
];

for (const c of cases) {
  test(`file: ${c.name}`, async () => {
    const dir = tempDir();
    c.setup?.(dir);
    const run = await lifecycle(file, c.args(dir), { root: dir });
    assert.match(run.check.summary ?? '', c.summary);
    if (c.expect) {
      await converge(file, c.args(dir));
      c.expect(dir);
    }
  });
}

test('file: state file on a missing path, and a file where a directory is wanted, are clear errors', async () => {
  const dir = tempDir();
  const missing = await check(file, { path: `${dir}/nope` }).catch((e) => e);
  assert.match(String(missing), /does not exist/);
  assert.match(missing.hint, /touch/);
  writeFileSync(`${dir}/f`, '');
  assert.match(String(await check(file, { path: `${dir}/f`, state: 'directory' }).catch((e) => e)), /is a file, not a directory/);
  assert.throws(() => file.args.parse({ path: '/x', state: 'link' }), /src/);
  assert.throws(() => file.args.parse({ path: '/x', state: 'file', recurse: true }), /recurse goes with state: directory/);
});

test('file: links that Ansible refuses, or that would change another path, are clear errors', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/data`, 'd\n');
  writeFileSync(`${dir}/other`, 'o\n');
  mkdirSync(`${dir}/d`);
  const refused = async (args: Record<string, unknown>) => String(await check(file, args).catch((e) => e));
  assert.match(await refused({ path: `${dir}/other`, state: 'hard', src: `${dir}/data` }), /refusing to replace the file at .*other with a hard link/);
  assert.match(await refused({ path: `${dir}/x`, state: 'hard', src: `${dir}/missing` }), /does not exist/);
  assert.match(await refused({ path: `${dir}/x`, state: 'hard', src: `${dir}/d` }), /only files have hard links/);
  assert.match(await refused({ path: `${dir}/x`, state: 'link', src: 'missing' }), /refusing to link .*x to missing does not exist/);
  // Under --check an earlier step may create it: reported, not refused.
  const checked = await check(file, { path: `${dir}/x`, state: 'link', src: 'missing' }, { checkMode: true });
  assert.match(checked.summary ?? '', /missing does not exist now/);
  assert.ok(existsSync(`${dir}/data`) && !existsSync(`${dir}/x`));
  assert.throws(() => file.args.parse({ path: '/x', state: 'hard', src: 'relative' }), /absolute src/);
  assert.throws(() => file.args.parse({ path: '/x', state: 'link', src: '/y', mode: '0644' }), /owner, group and mode do not go with state: link or hard/);
});

test('symlink: creates, is idempotent, relinks; undo points it back', async () => {
  const dir = tempDir();
  release(dir);
  const args = { src: 'apache-zookeeper-3.7.1-bin', dest: `${dir}/zk` };
  const run = await lifecycle(symlink, args, { root: dir });
  assert.match(run.check.summary ?? '', /^link .*zk → apache-zookeeper-3\.7\.1-bin$/);
  await converge(symlink, args);
  assert.ok((await check(symlink, args)).inSync);
  await lifecycle(symlink, { src: '/opt/elsewhere', dest: `${dir}/zk` }, { root: dir });
});

test('symlink: refuses to replace a real directory or file, naming it; force replaces a file or an empty directory (backed up, undo restores it), never a directory with files in it', async () => {
  const dir = tempDir();
  release(dir);
  const before = snapshot(dir);
  const err = await check(symlink, { src: '/opt/x', dest: `${dir}/apache-zookeeper-3.7.1-bin` }).catch((e) => e);
  assert.match(String(err), /refusing to replace the real directory at .*apache-zookeeper-3\.7\.1-bin/);
  assert.match(err.hint, /force: true/);
  writeFileSync(`${dir}/plain`, 'data');
  assert.match(String(await check(symlink, { src: '/opt/x', dest: `${dir}/plain` }).catch((e) => e)), /real file/);
  assert.equal(snapshot(dir), { ...before, plain: snapshot(dir).plain });
  const full = await check(symlink, { src: '/opt/x', dest: `${dir}/apache-zookeeper-3.7.1-bin`, force: true }).catch((e) => e);
  assert.match(String(full), /refusing to replace the directory .*apache-zookeeper-3\.7\.1-bin, which is not empty, with a link to \/opt\/x, even with force/);
  assert.equal(snapshot(dir), { ...before, plain: snapshot(dir).plain });
  mkdirSync(`${dir}/empty`);
  const forced = await lifecycle(symlink, { src: '/opt/x', dest: `${dir}/empty`, force: true }, { root: dir });
  assert.match(forced.check.summary ?? '', /replace directory/);
  await lifecycle(symlink, { src: '/opt/x', dest: `${dir}/plain`, force: true }, { root: dir });
});

test('file and symlink: hostile paths and link targets never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, v] of hostileValues(canary).entries()) {
    const name = `${dir}/${i}${v.replace(/\//g, '_')}`;
    await lifecycle(file, { path: `${name}/sub`, state: 'directory', mode: '0700' }, { root: dir });
    await converge(file, { path: name, state: 'directory' });
    await lifecycle(file, { path: name, state: 'absent' }, { root: dir });
    await lifecycle(file, { path: `${name}.t`, state: 'touch' }, { root: dir });
    await lifecycle(symlink, { src: v, dest: `${name}.l` }, { root: dir });
    await converge(symlink, { src: v, dest: `${name}.l` });
    assert.is(readlinkSync(`${name}.l`), v);
    await lifecycle(file, { path: name, state: 'directory', owner: USER, recurse: true }, { root: dir });
  }
  assert.not.ok(existsSync(canary));
});

test.run();
