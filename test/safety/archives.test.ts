// Safety (medium/low): archives are judged as the kernel will unpack them. Listings are read by
// position (an owner name holding " -> " cannot fake a link target); links are resolved through
// each other and through links already in dest; an archive bigger than the free space is refused.
// Runs in its own mount namespace, for a small tmpfs as dest.

import { execFileSync } from 'node:child_process';
import { $ } from 'zx';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import extract from '../../tasks/extract.js';
import { caught } from '../helpers/caught.js';
import { inPrivateMounts, privateTmpfs } from '../helpers/private-mounts.js';
import { cleanup, converge, snapshot, tempDir } from '../helpers/task-harness.js';

inPrivateMounts(fileURLToPath(import.meta.url));
test.after(cleanup);

function tar(dir: string, name: string, cwd: string, entries: string[], extra: string[] = []): string {
  execFileSync('tar', ['-czf', `${dir}/${name}`, ...extra, '-C', cwd, ...entries]);
  return `${dir}/${name}`;
}

test('an owner name holding " -> " cannot hide a link to an absolute path', async () => {
  const d = tempDir();
  mkdirSync(`${d}/w`);
  symlinkSync('/etc', `${d}/w/l`);
  const src = tar(d, 'owner.tgz', `${d}/w`, ['l'], ['--owner=u l -> x', '--group=g']);
  mkdirSync(`${d}/dest`);
  const e = await caught(converge(extract, { src, dest: `${d}/dest` }));
  assert.match(e.message, /l: a symlink to an absolute path \(\/etc\)/);
  assert.not.ok(existsSync(`${d}/dest/l`));
});

test('a -> . with b -> a/.. leads out once the kernel follows a; it is refused', async () => {
  const d = tempDir();
  mkdirSync(`${d}/w`);
  symlinkSync('.', `${d}/w/a`);
  symlinkSync('a/..', `${d}/w/b`);
  const src = tar(d, 'chain.tgz', `${d}/w`, ['a', 'b']);
  mkdirSync(`${d}/dest`);
  const before = snapshot(d);
  const e = await caught(converge(extract, { src, dest: `${d}/dest` }));
  assert.match(e.message, /b: a symlink that leads outside dest once links are followed \(a\/\.\.\)/);
  assert.equal(snapshot(d), before);
});

test('an archive whose entries would be written through a link already in dest that leads out is refused', async () => {
  const d = tempDir();
  mkdirSync(`${d}/dest`);
  symlinkSync('..', `${d}/dest/up`); // left by an earlier archive, or by anyone who could write there
  mkdirSync(`${d}/w/up`, { recursive: true });
  writeFileSync(`${d}/w/up/planted`, 'x');
  const src = tar(d, 'second.tgz', `${d}/w`, ['up/planted']);
  const e = await caught(converge(extract, { src, dest: `${d}/dest` }));
  assert.match(e.message, /up\/planted: it would be unpacked through a symlink that leads outside dest/);
  assert.not.ok(existsSync(`${d}/planted`));
});

test('a small archive that unpacks to more than the free space is refused before anything is written', async () => {
  const d = tempDir();
  mkdirSync(`${d}/w`);
  $.sync`head -c 8388608 /dev/zero > ${d}/w/zeros`;
  const src = tar(d, 'bomb.tgz', `${d}/w`, ['zeros']);
  privateTmpfs(`${d}/small`);
  execFileSync('mount', ['-o', 'remount,size=1m', `${d}/small`]);
  const e = await caught(converge(extract, { src, dest: `${d}/small/dest` }));
  assert.match(e.message, /unpacks to 8388608 bytes and the filesystem of .*small\/dest has \d+ free/);
  assert.not.ok(existsSync(`${d}/small/dest`));
  execFileSync('umount', [`${d}/small`]);
});

test.run();
