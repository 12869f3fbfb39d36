import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import copy from '../../tasks/copy.js';
import { check, cleanup, converge, hostileValues, lifecycle, tempDir, type Tree } from '../helpers/task-harness.js';
import { exec } from '../helpers/exec.js';

test.after(cleanup);

type Setup = (dir: string) => void;
const cases: Array<{ name: string; setup?: Setup; args: (dir: string) => Record<string, unknown>; expect: (dir: string) => void; summary: RegExp }> = [
  {
    name: 'creates a new file with a mode',
    args: (d) => ({ dest: `${d}/a.conf`, content: 'x=1\n', mode: '0600' }),
    expect: (d) => {
      assert.is(readFileSync(`${d}/a.conf`, 'utf8'), 'x=1\n');
      assert.is(statSync(`${d}/a.conf`).mode & 0o777, 0o600);
    },
    summary: /^create .*a\.conf$/,
  },
  {
    name: 'replaces different content, keeping the mode',
    setup: (d) => writeFileSync(`${d}/a.conf`, 'x=0\n', { mode: 0o640 }),
    args: (d) => ({ dest: `${d}/a.conf`, content: 'x=1\n' }),
    expect: (d) => {
      assert.is(readFileSync(`${d}/a.conf`, 'utf8'), 'x=1\n');
      assert.is(statSync(`${d}/a.conf`).mode & 0o777, 0o640);
    },
    summary: /^update .*a\.conf$/,
  },
  {
    name: 'only the mode differs (YAML 1.2 number 644 means 0644)',
    setup: (d) => writeFileSync(`${d}/a.conf`, 'x=1\n', { mode: 0o600 }),
    args: (d) => ({ dest: `${d}/a.conf`, content: 'x=1\n', mode: 644 }),
    expect: (d) => assert.is(statSync(`${d}/a.conf`).mode & 0o777, 0o644),
    summary: /a\.conf: mode 0600 → 0644$/,
  },
  {
    name: 'a symlink at dest is followed: its target is written, the link stays',
    setup: (d) => {
      writeFileSync(`${d}/real.conf`, 'old\n');
      symlinkSync('real.conf', `${d}/link.conf`);
    },
    args: (d) => ({ dest: `${d}/link.conf`, content: 'new\n' }),
    expect: (d) => {
      assert.is(readlinkSync(`${d}/link.conf`), 'real.conf');
      assert.is(readFileSync(`${d}/real.conf`, 'utf8'), 'new\n');
    },
    summary: /^update .*real\.conf$/,
  },
  {
    name: 'a file bigger than the inline limit is backed up on the host and restored from there',
    setup: (d) => writeFileSync(`${d}/big.bin`, Buffer.alloc(200_000, 7)),
    args: (d) => ({ dest: `${d}/big.bin`, content: 'small now\n' }),
    expect: (d) => assert.is(readFileSync(`${d}/big.bin`, 'utf8'), 'small now\n'),
    summary: /^update .*big\.bin$/,
  },
  {
    name: 'backup: true keeps a dated copy beside the file (removed again by undo)',
    setup: (d) => writeFileSync(`${d}/a.conf`, 'x=0\n'),
    args: (d) => ({ dest: `${d}/a.conf`, content: 'x=1\n', backup: true }),
    expect: (d) => {
      const copies = readdirSync(d).filter((n) => /^a\.conf\..*~$/.test(n));
      assert.is(copies.length, 1);
      assert.is(readFileSync(join(d, copies[0]), 'utf8'), 'x=0\n');
    },
    summary: /^update /,
  },
  {
    name: 'validate runs on the new content before it replaces the old',
    args: (d) => ({ dest: `${d}/v.conf`, content: 'good\n', validate: 'grep -q good %s' }),
    expect: (d) => assert.is(readFileSync(`${d}/v.conf`, 'utf8'), 'good\n'),
    summary: /^create /,
  },
  {
    name: 'src from the controller into a dest directory (trailing slash keeps the name)',
    setup: (d) => {
      mkdirSync(`${d}/ctl`);
      writeFileSync(`${d}/ctl/app.properties`, 'from controller\n');
      mkdirSync(`${d}/out`);
    },
    args: (d) => ({ dest: `${d}/out/`, src: 'ctl/app.properties' }),
    expect: (d) => assert.is(readFileSync(`${d}/out/app.properties`, 'utf8'), 'from controller\n'),
    summary: /^create .*out\/app\.properties$/,
  },
];

for (const c of cases) {
  test(`copy: ${c.name}`, async () => {
    const dir = tempDir();
    c.setup?.(dir);
    const run = await lifecycle(copy, c.args(dir), { root: dir, runbookDir: dir });
    assert.match(run.check.summary ?? '', c.summary);
    // apply again to look at the converged tree (lifecycle undid it)
    await converge(copy, c.args(dir), { runbookDir: dir });
    c.expect(dir);
  });
}

test('copy remote_src: a file on the host, as ansible-core copies it; idempotent; undo restores the old dest', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'src.conf'), 'a=1\nb=2\n', { mode: 0o600 });
  for (const f of ['ours', 'theirs']) writeFileSync(join(dir, f), 'old\n');
  const r = await exec('ansible', ['localhost', '-c', 'local', '-i', 'localhost,', '-m', 'copy', '-a', JSON.stringify({ src: join(dir, 'src.conf'), dest: join(dir, 'theirs'), remote_src: true, mode: '0640' })]);
  assert.is(r.code, 0, r.stdout);
  const args = { src: join(dir, 'src.conf'), dest: join(dir, 'ours'), remote_src: true, mode: '0640' };
  const run = await lifecycle(copy, args, { root: dir });
  assert.match(run.check.summary ?? '', /ours/);
  await converge(copy, args);
  assert.ok((await check(copy, args)).inSync, 'a second run changes nothing');
  assert.is(readFileSync(join(dir, 'ours'), 'utf8'), readFileSync(join(dir, 'theirs'), 'utf8'));
  assert.is(statSync(join(dir, 'ours')).mode & 0o777, statSync(join(dir, 'theirs')).mode & 0o777);
  const missing = await check(copy, { src: join(dir, 'nope'), dest: join(dir, 'x'), remote_src: true }).catch((e: Error) => e);
  assert.match(String(missing), /src .*nope does not exist on the host/);
  const directory = await check(copy, { src: dir, dest: join(dir, 'x'), remote_src: true }).catch((e: Error) => e);
  assert.match(String(directory), /is a directory: remote_src copies one file/);
  assert.throws(() => copy.args.parse({ src: 'relative', dest: '/x', remote_src: true }), /absolute path on the host/);
});

test('copy of a controller directory: its tree at dest (dir/ its contents, dir itself), directory_mode on new directories; idempotent; undo restores byte for byte', async () => {
  const runbookDir = tempDir();
  mkdirSync(join(runbookDir, 'conf.d', 'sub', 'empty'), { recursive: true });
  writeFileSync(join(runbookDir, 'conf.d', 'a.conf'), 'a=1\n');
  writeFileSync(join(runbookDir, 'conf.d', 'sub', 'b.conf'), 'b=2\n');
  const root = tempDir();
  mkdirSync(join(root, 'etc', 'app', 'sub'), { recursive: true, mode: 0o700 });
  writeFileSync(join(root, 'etc', 'app', 'a.conf'), 'old\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc', 'app', 'mine'), 'kept\n');
  const contents = await lifecycle(copy, { src: 'conf.d/', dest: `${root}/etc/app`, directory_mode: '0750' }, { root, runbookDir });
  assert.match(contents.check.summary ?? '', /create directory .*etc\/app\/sub\/empty; update .*a\.conf; create .*sub\/b\.conf/);
  const kind = (t: Tree, p: string) => `${t[p]?.type} ${t[p]?.mode} ${t[p]?.content?.split(' ')[1] ?? ''}`;
  assert.is(kind(contents.applied, 'etc/app/a.conf'), 'file 640 "a=1\\n"');
  assert.is(kind(contents.applied, 'etc/app/sub'), 'directory 700 ', 'an existing directory keeps its mode');
  assert.is(kind(contents.applied, 'etc/app/sub/empty'), 'directory 750 ');
  assert.is(kind(contents.applied, 'etc/app/mine'), 'file 644 "kept\\n"', 'what the source lacks is left alone');
  const itself = await lifecycle(copy, { src: 'conf.d', dest: `${root}/opt`, mode: '0600' }, { root, runbookDir });
  assert.is(kind(itself.applied, 'opt/conf.d/sub/b.conf'), 'file 600 "b=2\\n"');
  assert.ok((await converge(copy, { src: 'conf.d', dest: `${root}/opt` }, { runbookDir })).check.inSync === false);
  assert.ok((await check(copy, { src: 'conf.d', dest: `${root}/opt` }, { runbookDir })).inSync, 'a second run changes nothing');
  writeFileSync(join(root, 'file'), 'x');
  const err = await check(copy, { src: 'conf.d', dest: `${root}/file` }, { runbookDir }).catch((e: Error) => e.message);
  assert.match(String(err), /file is a file, not a directory: the copy of conf\.d needs one there/);
});

test('copy follow: false replaces a link at dest with the file (Ansible\'s default); undo puts the link back', async () => {
  const root = tempDir();
  writeFileSync(join(root, 'target'), 'old\n');
  symlinkSync('target', join(root, 'f'));
  const run = await lifecycle(copy, { dest: `${root}/f`, content: 'new\n', follow: false }, { root });
  assert.is(run.check.summary, `replace the link ${root}/f (to target) with a file`);
  assert.is(run.applied['f']?.type, 'file');
  assert.match(run.applied['target']?.content ?? '', /"old\\n"/, 'what the link led to is untouched');
  assert.ok((await converge(copy, { dest: `${root}/f`, content: 'new\n' })).check.summary?.startsWith('update'), 'follow (ours by default) writes through the link');
  assert.is(readlinkSync(join(root, 'f')), 'target');
});

test('copy: the diff shows old and new content', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/a`, 'one\n');
  const r = await check(copy, { dest: `${dir}/a`, content: 'two\n' }, { checkMode: true });
  assert.equal(r.diff, [{ path: `${dir}/a`, before: 'one\n', after: 'two\n' }]);
});

test('copy: a failing validate leaves the old file and no temp files', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/v.conf`, 'old\n');
  const err = await converge(copy, { dest: `${dir}/v.conf`, content: 'bad\n', validate: 'grep -q good %s' }).catch((e) => e);
  assert.match(String(err), /validate command failed/);
  assert.is(readFileSync(`${dir}/v.conf`, 'utf8'), 'old\n');
  assert.equal(readdirSync(dir), ['v.conf']);
});

test('copy: force false leaves an existing file alone; a missing parent directory is a clear error', async () => {
  const dir = tempDir();
  writeFileSync(`${dir}/a`, 'mine\n');
  assert.ok((await check(copy, { dest: `${dir}/a`, content: 'theirs\n', force: false })).inSync);
  const err = await check(copy, { dest: `${dir}/nope/a`, content: 'x' }).catch((e) => e);
  assert.match(String(err), /directory .*nope does not exist/);
  assert.throws(() => copy.args.parse({ dest: '/x', content: 'a', src: 'b' }), /exactly one of content or src/);
  assert.throws(() => copy.args.parse({ dest: '/x', content: 'a', mode: '999' }), /octal/);
});

test('copy: hostile file names and contents never execute', async () => {
  const dir = tempDir();
  const canary = `${dir}/CANARY`;
  for (const [i, value] of hostileValues(canary).entries()) {
    const dest = `${dir}/f${i}-${value.replace(/\//g, '_')}`;
    await lifecycle(copy, { dest, content: value, validate: 'test -f %s' }, { root: dir });
    await converge(copy, { dest, content: value, backup: true });
    assert.is(readFileSync(dest, 'utf8'), value);
    await converge(copy, { dest, content: value + 'more', backup: true });
  }
  assert.not.ok(existsSync(canary), 'a hostile value was executed');
});

test.run();
