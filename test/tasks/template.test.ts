// template: a handlebars file from the runbook's directory rendered with the host's vars and
// written as copy writes (copy.test.ts covers the writing: atomic, validate, backup, hostile names).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import template from '../../tasks/template.js';
import { check, cleanup, lifecycle, tempDir } from '../helpers/task-harness.js';

test.after(cleanup);

test('template: renders the host vars, converges, undo removes the new file', async () => {
  const dir = tempDir();
  mkdirSync(`${dir}/templates`);
  writeFileSync(`${dir}/templates/zoo.cfg.hbs`, 'dataDir={{ data_dir }}\n{{#each servers}}server.{{ @index }}={{ this }}:2888:3888\n{{/each}}');
  const vars = { data_dir: '/var/lib/zk', servers: ['kafka01', "kafka'02"] };
  const run = await lifecycle(template, { src: 'templates/zoo.cfg.hbs', dest: `${dir}/zoo.cfg` }, { root: dir, runbookDir: dir, vars });
  assert.equal(run.check.diff?.[0].after, "dataDir=/var/lib/zk\nserver.0=kafka01:2888:3888\nserver.1=kafka'02:2888:3888\n");
  const err = await check(template, { src: 'templates/zoo.cfg.hbs', dest: `${dir}/zoo.cfg` }, { runbookDir: dir, vars: {} }).catch((e) => e);
  assert.match(String(err), /data_dir/);
});

test.run();
