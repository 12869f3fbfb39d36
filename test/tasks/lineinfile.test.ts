import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import lineinfile, { editLines } from '../../tasks/lineinfile.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir } from '../helpers/task-harness.js';
import { exec } from '../helpers/exec.js';

test.after(cleanup);

const base = 'a=1\n# comment\nb=2\n';
// [name, file before (null: missing), args, file after (null: unchanged / still missing)]
const table: Array<[string, string | null, Record<string, unknown>, string | null]> = [
  ['appends a missing line at EOF', base, { line: 'c=3' }, 'a=1\n# comment\nb=2\nc=3\n'],
  ['an existing line is left alone', base, { line: 'b=2' }, null],
  ['regexp replaces the matching line', base, { regexp: '^b=', line: 'b=20' }, 'a=1\n# comment\nb=20\n'],
  ['regexp replaces only the last match', 'x=1\nx=2\n', { regexp: '^x=', line: 'x=9' }, 'x=1\nx=9\n'],
  ['regexp without a match inserts after insertafter', base, { regexp: '^z=', line: 'z=0', insertafter: '^a=' }, 'a=1\nz=0\n# comment\nb=2\n'],
  ['insertbefore BOF', base, { line: 'first', insertbefore: 'BOF' }, 'first\na=1\n# comment\nb=2\n'],
  ['insertbefore a regexp', base, { line: 'mid', insertbefore: '^b=' }, 'a=1\n# comment\nmid\nb=2\n'],
  ['insertafter without a match means EOF', base, { line: 'end', insertafter: '^nothing' }, 'a=1\n# comment\nb=2\nend\n'],
  ['a file without a final newline gets one before the new line', 'a=1', { line: 'b=2' }, 'a=1\nb=2\n'],
  ['absent removes lines matching regexp', base, { state: 'absent', regexp: '^#' }, 'a=1\nb=2\n'],
  ['absent removes an exact line', base, { state: 'absent', line: 'a=1' }, '# comment\nb=2\n'],
  ['absent with nothing to remove changes nothing', base, { state: 'absent', line: 'zzz' }, null],
  ['create makes a missing file', null, { line: 'only', create: true }, 'only\n'],
  ['absent on a missing file is fine', null, { state: 'absent', line: 'x' }, null],
];

for (const [name, before, args, after] of table) {
  test(`lineinfile: ${name}`, async () => {
    const parsed = lineinfile.args.parse({ path: '/x', ...args });
    assert.is(editLines(before, parsed), after ?? before);
    const dir = tempDir();
    const path = `${dir}/f.conf`;
    if (before !== null) writeFileSync(path, before);
    if (after === null) {
      assert.ok((await check(lineinfile, { path, ...args })).inSync);
      return;
    }
    await lifecycle(lineinfile, { path, ...args }, { root: dir });
    await converge(lineinfile, { path, ...args });
    assert.is(readFileSync(path, 'utf8'), after);
  });
}

// The same edit by ansible-core's lineinfile and ours, on equal files: equal bytes after, and the
// same changed status. Python's regex spellings (\A, (?P<name>), (?P=name)) mean what they mean
// in Python; insertafter BOF is the start.
const againstAnsible: Array<[string, string, Record<string, unknown>]> = [
  ['insertafter BOF', base, { line: 'first', insertafter: 'BOF' }],
  ['\\A anchors the regexp at the start of the line', 'port=1\nxport=2\n', { regexp: '\\Aport=', line: 'port=9' }],
  ['a named group and its back-reference', 'k=k\nk=v\n', { regexp: '^(?P<n>\\w)=(?P=n)$', line: 'same' }],
  ['an existing line is left alone', base, { line: 'b=2' }],
  ['backrefs fill the line with the groups', 'listeners=PLAINTEXT://:9092\n', { regexp: '^listeners=(\\w+)://:(\\d+)$', line: 'listeners=\\1://0.0.0.0:\\2', backrefs: true }],
  ['backrefs with a named group', 'heap=512m\n', { regexp: '^heap=(?P<size>\\d+)m$', line: 'heap=\\g<size>m # checked', backrefs: true }],
  ['backrefs without a match leave the file alone', base, { regexp: '^nothing=(.*)', line: 'x=\\1', backrefs: true }],
  ['firstmatch replaces the first match', 'x=1\nx=2\n', { regexp: '^x=', line: 'x=9', firstmatch: true }],
  ['firstmatch inserts after the first insertafter match', 'a\nb\na\n', { line: 'new', insertafter: '^a$', firstmatch: true }],
  ['search_string finds a line by literal text', 'path=/a.b\npath=/a+b\n', { search_string: '/a.b', line: 'path=/c' }],
  ['search_string with state absent', 'keep\ndrop (this)\n', { search_string: '(this)', state: 'absent' }],
  ['validate that passes: the line is written', 'x=1\n', { regexp: '^x=', line: 'x=9', validate: "grep -q '^x=9$' %s" }],
];
for (const [name, before, args] of againstAnsible) {
  test(`lineinfile as ansible-core's: ${name}`, async () => {
    const dir = tempDir();
    writeFileSync(`${dir}/ours`, before);
    writeFileSync(`${dir}/theirs`, before);
    const r = await exec('ansible', ['localhost', '-c', 'local', '-i', 'localhost,', '-m', 'lineinfile', '-a', JSON.stringify({ path: `${dir}/theirs`, ...args })]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const done = await converge(lineinfile, { path: `${dir}/ours`, ...args });
    assert.is(readFileSync(`${dir}/ours`, 'utf8'), readFileSync(`${dir}/theirs`, 'utf8'));
    assert.is(done.apply !== undefined || !done.check.inSync, /"changed": true/.test(r.stdout), r.stdout);
  });
}

test('lineinfile: a validate that fails leaves the file as it was, as in ansible-core', async () => {
  const dir = tempDir();
  for (const f of ['ours', 'theirs']) writeFileSync(`${dir}/${f}`, 'x=1\n');
  const args = { regexp: '^x=', line: 'x=bad', validate: "grep -q '^x=[0-9]*$' %s" };
  const r = await exec('ansible', ['localhost', '-c', 'local', '-i', 'localhost,', '-m', 'lineinfile', '-a', JSON.stringify({ path: `${dir}/theirs`, ...args })]);
  assert.is.not(r.code, 0, r.stdout);
  assert.match(r.stdout, /failed to validate/);
  const error = await converge(lineinfile, { path: `${dir}/ours`, ...args }).catch((e: Error) => e);
  assert.match(String(error), /validate command failed/);
  assert.is(readFileSync(`${dir}/ours`, 'utf8'), 'x=1\n');
  assert.is(readFileSync(`${dir}/theirs`, 'utf8'), 'x=1\n');
  assert.equal(readdirSync(dir).sort(), ['ours', 'theirs'], 'no temporary file left');
});

test('lineinfile: Python inline flags and \\Z are refused at the argument, naming what to write', () => {
  const flags = lineinfile.args.safeParse({ path: '/x', regexp: '(?i)^kafka', line: 'x' });
  assert.not.ok(flags.success);
  assert.match(String(flags.error), /inline flags like \(\?i\) are Python's/);
  // In Ansible, \Z matches only an unterminated last line (its lines keep their newline): no
  // translation would mean that, so it is refused rather than silently read as a literal Z.
  const end = lineinfile.args.safeParse({ path: '/x', regexp: 'port=1\\Z', line: 'x' });
  assert.not.ok(end.success);
  assert.match(String(end.error), /write \$ for the end of a line/);
  assert.ok(lineinfile.args.safeParse({ path: '/x', regexp: 'C:\\\\Z', line: 'x' }).success, 'an escaped backslash before Z is text');
});

test('lineinfile: a missing file without create is a clear error; bad args are refused', async () => {
  const dir = tempDir();
  const err = await check(lineinfile, { path: `${dir}/nope`, line: 'x' }).catch((e) => e);
  assert.match(String(err), /does not exist/);
  assert.match(err.hint, /create: true/);
  assert.throws(() => lineinfile.args.parse({ path: '/x', line: 'a\nb' }), /single line/);
  assert.throws(() => lineinfile.args.parse({ path: '/x', line: 'a', regexp: '(' }), /regular expression/);
  assert.throws(() => lineinfile.args.parse({ path: '/x' }), /needs line/);
});

test('lineinfile: owner/group/mode are applied with the line', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/f`, 'a\n', { mode: 0o644 });
  await lifecycle(lineinfile, { path: `${dir}/f`, line: 'b', mode: '0600' }, { root: dir });
});

test('lineinfile: hostile lines and paths never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, value] of hostileValues(canary).entries()) {
    const line = value.replace(/\n/g, ' ');
    const path = `${dir}/h${i}${value.replace(/\//g, '_')}`;
    await lifecycle(lineinfile, { path, line, create: true }, { root: dir });
    await converge(lineinfile, { path, line, create: true });
    assert.is(readFileSync(path, 'utf8'), line + '\n');
  }
  assert.not.ok(existsSync(canary));
});

test('lineinfile create: true makes the missing directories above the file, as Ansible; undo removes them', async () => {
  const dir = tempDir();
  const { check: first, applied } = await lifecycle(lineinfile, { path: `${dir}/a/b/f`, line: 'x', create: true }, { root: dir });
  assert.is(first.summary, `create ${dir}/a/b/f (and its directory ${dir}/a/b)`);
  assert.equal([applied['a']?.type, applied['a/b']?.type, applied['a/b/f']?.type], ['directory', 'directory', 'file']);
  writeFileSync(`${dir}/in-the-way`, '');
  const err = await check(lineinfile, { path: `${dir}/in-the-way/f`, line: 'x', create: true }).catch((e: Error) => e.message);
  assert.match(String(err), /cannot create .*in-the-way\/f: .*in-the-way is a file, not a directory/);
});

test.run();
