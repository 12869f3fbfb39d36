// The link guard's walk (rb_guard in sdk/probe.ts): for each link on the way to a path it names
// the link and its real target, as `readlink -f` resolves it, and starts readlink only for a link
// that is not to a directory (a directory's real path comes from `cd -P` and `pwd -P`, builtins).
// Run with the controller's /bin/sh (dash on Debian, as on the hosts).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROBE_FUNCTION } from '../../src/sdk/probe.js';
import { quote } from '../../src/shell/quote.js';

let dir: string;

test.before(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'probe-guard-')));
  mkdirSync(join(dir, 'kafka_2.13-3.9.1', 'config'), { recursive: true });
  writeFileSync(join(dir, 'kafka_2.13-3.9.1', 'config', 'server.properties'), 'broker.id=1\n');
  symlinkSync(join(dir, 'kafka_2.13-3.9.1'), join(dir, 'kafka'));
  symlinkSync('kafka', join(dir, 'current'));
  mkdirSync(join(dir, 'odd name\n'));
  symlinkSync('odd name\n', join(dir, 'odd-link'));
  symlinkSync('kafka_2.13-3.9.1/config/server.properties', join(dir, 'file-link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** rb_guard's output for `path`, and how many readlink processes it started. */
function guard(path: string, follow: 0 | 1): { links: Array<[string, string]>; readlinks: number } {
  const counting = `readlink() { echo readlink-called >&2; command readlink "$@"; }\n`;
  const script = `${counting}${PROBE_FUNCTION.text}\nrb_guard ${quote(path)} ${follow} 2>"$0"`;
  const out = execFileSync('/bin/sh', ['-c', script, join(dir, '.stderr')], { encoding: 'utf8' });
  const stderr = execFileSync('cat', [join(dir, '.stderr')], { encoding: 'utf8' });
  const links = [...out.matchAll(/glink=[^/]*(\/[^\0]*)\0([^\0]*)\0\n/g)].map((m) => [m[1], m[2]] as [string, string]);
  return { links, readlinks: stderr.split('\n').filter((l) => l === 'readlink-called').length };
}

const readlinkF = (path: string) => execFileSync('readlink', ['-f', '--', path], { encoding: 'utf8' }).replace(/\n$/, '');

test('a path through a version link: the link and its real directory, no readlink', () => {
  const r = guard(join(dir, 'kafka', 'config', 'server.properties'), 0);
  assert.equal(r.links, [[join(dir, 'kafka'), join(dir, 'kafka_2.13-3.9.1')]]);
  assert.is(r.readlinks, 0);
});

test('a link to a link to a directory resolves all the way, as readlink -f does', () => {
  const r = guard(join(dir, 'current', 'config'), 1);
  assert.equal(r.links, [[join(dir, 'current'), readlinkF(join(dir, 'current'))]]);
  assert.is(r.links[0][1], join(dir, 'kafka_2.13-3.9.1'));
  assert.is(r.readlinks, 0);
});

test('a directory whose name ends in a newline keeps it', () => {
  const r = guard(join(dir, 'odd-link'), 1);
  assert.equal(r.links, [[join(dir, 'odd-link'), join(dir, 'odd name\n')]]);
  assert.is(r.readlinks, 0);
});

test('a link to a file, and a dangling link, are resolved by readlink -f', () => {
  const file = guard(join(dir, 'file-link'), 1);
  assert.equal(file.links, [[join(dir, 'file-link'), join(dir, 'kafka_2.13-3.9.1', 'config', 'server.properties')]]);
  assert.is(file.readlinks, 1);
  const dangling = guard(join(dir, 'dangling'), 1);
  assert.equal(dangling.links, [[join(dir, 'dangling'), join(dir, 'nowhere')]]);
  assert.is(dangling.readlinks, 1);
});

test('a link that is the path itself is not followed without FOLLOW', () => {
  assert.equal(guard(join(dir, 'kafka'), 0).links, []);
});

test.run();
