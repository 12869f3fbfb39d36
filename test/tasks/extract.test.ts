import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { $ } from 'zx';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import extract from '../../tasks/extract.js';
import { check, cleanup, converge, hostileValues, lifecycle, snapshot, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

/** An archive shaped like Apache's: one top directory with bin/, conf/, a link and a hard link. */
function release(dir: string, kind: 'tgz' | 'zip' = 'tgz'): string {
  const src = `${dir}/build/apache-zookeeper-3.7.1-bin`;
  mkdirSync(`${src}/bin`, { recursive: true });
  mkdirSync(`${src}/conf`);
  writeFileSync(`${src}/bin/zkServer.sh`, '#!/bin/sh\necho zk\n', { mode: 0o755 });
  writeFileSync(`${src}/conf/zoo_sample.cfg`, 'tickTime=2000\n');
  if (kind === 'tgz') {
    symlinkSync('zoo_sample.cfg', `${src}/conf/zoo.cfg`);
    execFileSync('ln', [`${src}/bin/zkServer.sh`, `${src}/bin/zkServer-hard.sh`]);
    execFileSync('tar', ['-czf', `${dir}/zk.tgz`, '-C', `${dir}/build`, 'apache-zookeeper-3.7.1-bin']);
    return `${dir}/zk.tgz`;
  }
  $.sync`cd ${dir}/build && zip -qr ../zk.zip apache-zookeeper-3.7.1-bin`;
  return `${dir}/zk.zip`;
}

test('extract: into an existing directory; second run in sync; undo removes what it created', async () => {
  const dir = tempDir();
  const archive = release(dir);
  mkdirSync(`${dir}/opt`);
  writeFileSync(`${dir}/opt/keep`, 'mine');
  const args = { src: archive, dest: `${dir}/opt` };
  const run = await lifecycle(extract, args, { root: `${dir}/opt` });
  assert.match(run.check.summary ?? '', /^extract .*zk\.tgz into .*opt \(7 missing\)$/);
  assert.equal((run.undo as { created: string[] }).created, ['apache-zookeeper-3.7.1-bin']);
  await converge(extract, args);
  assert.is(readFileSync(`${dir}/opt/apache-zookeeper-3.7.1-bin/bin/zkServer.sh`, 'utf8'), '#!/bin/sh\necho zk\n');
  assert.ok((await check(extract, args)).inSync);
});

test('extract: strip_components into a new directory, owner applied; undo removes the directory', async () => {
  const dir = tempDir();
  const archive = release(dir);
  const args = { src: archive, dest: `${dir}/zookeeper`, strip_components: 1, owner: 'nobody' };
  const run = await lifecycle(extract, args, { root: dir });
  assert.match(run.check.summary ?? '', /\(new directory\)/);
  await converge(extract, args);
  const tree = snapshot(`${dir}/zookeeper`);
  assert.ok(tree['bin/zkServer.sh'] && tree['conf/zoo.cfg'].target === 'zoo_sample.cfg');
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  assert.is(tree['bin/zkServer.sh'].uid, nobody);
});

test('extract: a changed file is put back; undo restores the changed version from a backup', async () => {
  const dir = tempDir();
  const archive = release(dir);
  mkdirSync(`${dir}/opt`);
  const args = { src: archive, dest: `${dir}/opt` };
  await converge(extract, args);
  writeFileSync(`${dir}/opt/apache-zookeeper-3.7.1-bin/conf/zoo_sample.cfg`, 'edited by hand\n');
  const run = await lifecycle(extract, args, { root: `${dir}/opt` });
  assert.match(run.check.summary ?? '', /\(1 different\)$/);
  assert.ok((run.undo as { backup?: string }).backup);
});

test('extract: creates short-circuits the check', async () => {
  const dir = tempDir();
  const archive = release(dir);
  writeFileSync(`${dir}/marker`, '');
  const r = await check(extract, { src: archive, dest: `${dir}/none`, creates: `${dir}/marker` });
  assert.ok(r.inSync);
  assert.match(r.summary ?? '', /marker exists/);
  const missing = await check(extract, { src: `${dir}/nope.tgz`, dest: dir }).catch((e) => e);
  assert.match(String(missing), /archive not found/);
});

test('extract: zip archives', async () => {
  const dir = tempDir();
  const archive = release(dir, 'zip');
  mkdirSync(`${dir}/opt`);
  const args = { src: archive, dest: `${dir}/opt` };
  await lifecycle(extract, args, { root: `${dir}/opt` });
  await converge(extract, args);
  assert.ok(existsSync(`${dir}/opt/apache-zookeeper-3.7.1-bin/conf/zoo_sample.cfg`));
  assert.ok((await check(extract, args)).inSync);
});

test('extract: a crafted archive (../evil, absolute path, links out) is refused, naming each entry; nothing is written', async () => {
  const dir = tempDir();
  const work = `${dir}/work/inner`;
  mkdirSync(`${work}/d`, { recursive: true });
  writeFileSync(`${dir}/work/evil`, 'evil');
  symlinkSync('/etc', `${work}/out`);
  symlinkSync('../../escape', `${work}/d/up`);
  symlinkSync('../ok', `${work}/d/fine`);
  const absolute = `${dir}/abs-evil`;
  writeFileSync(absolute, 'abs');
  execFileSync('tar', ['-P', '-czf', `${dir}/evil.tgz`, '-C', work, '../evil', absolute, 'out', 'd/up', 'd/fine'], { stdio: 'ignore' });
  execFileSync('rm', ['-f', `${dir}/work/evil`, absolute]);
  mkdirSync(`${dir}/dest`);
  const before = snapshot(dir);
  const err = await converge(extract, { src: `${dir}/evil.tgz`, dest: `${dir}/dest` }).catch((e) => e);
  const msg = String(err);
  assert.match(msg, /refusing to extract .*evil\.tgz: 4 entries would land outside/);
  assert.match(msg, /\.\.\/evil: a "\.\." component/);
  assert.match(msg, /abs-evil: an absolute path/);
  assert.match(msg, /out: a symlink to an absolute path \(\/etc\)/);
  assert.match(msg, /d\/up: a symlink that leads outside dest once links are followed \(\.\.\/\.\.\/escape\)/);
  assert.not.match(msg, /d\/fine/);
  assert.equal(snapshot(dir), before, 'nothing was written anywhere');
  assert.not.ok(existsSync(`${dir}/work/evil`) || existsSync(absolute));
});

test('extract: hostile archive and dest names never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  const archive = release(dir);
  for (const [i, v] of hostileValues(canary).entries()) {
    const name = `${dir}/${i}${v.replace(/\//g, '_')}`;
    execFileSync('cp', [archive, `${name}.tgz`]);
    mkdirSync(`${name}-dest`);
    await lifecycle(extract, { src: `${name}.tgz`, dest: `${name}-dest/x`, strip_components: 1 }, { root: `${name}-dest` });
  }
  assert.not.ok(existsSync(canary));
});

test.run();
