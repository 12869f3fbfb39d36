import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import stat from '../../tasks/stat.js';
import { check, cleanup, hostileValues, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

test('stat: a file, a directory, a link (not followed) and nothing, with the fields Ansible registers', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f'), 'abc', { mode: 0o640 });
  mkdirSync(join(dir, 'd'), { mode: 0o750 });
  symlinkSync('f', join(dir, 'l'));
  const of = async (name: string) => {
    const r = await check(stat, { path: join(dir, name) }, { checkMode: true });
    assert.ok(r.inSync, 'stat changes nothing');
    return (r.data as { stat: Record<string, unknown> }).stat;
  };
  const f = await of('f');
  assert.equal({ ...f, pw_name: typeof f['pw_name'], gr_name: typeof f['gr_name'] }, {
    exists: true, path: join(dir, 'f'), isdir: false, isreg: true, islnk: false, mode: '0640', pw_name: 'string', gr_name: 'string', size: 3,
  });
  const d = await of('d');
  assert.equal([d['isdir'], d['mode']], [true, '0750']);
  const l = await of('l');
  assert.equal([l['islnk'], l['isreg'], l['lnk_source']], [true, false, 'f']);
  assert.equal(await of('none'), { exists: false, path: join(dir, 'none') });
});

test('stat: hostile path values are only paths', async () => {
  const dir = tempDir();
  for (const value of hostileValues(join(dir, 'canary'))) {
    const r = await check(stat, { path: join(dir, value.replace(/\//g, '_')) });
    assert.is((r.data as { stat: { exists: boolean } }).stat.exists, false, value);
  }
});

test.run();
