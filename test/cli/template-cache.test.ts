// Compiled templates kept between runs (src/template/cache.ts), as the built CLI keeps them: the
// second run renders from the cache exactly what the first compiled; errors keep their positions;
// a cache file that is not the user's own, or that others may write, is never evaluated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runbook } from './helpers.js';

let project: string;
let cacheDir: string;
const templates = () => join(cacheDir, 'runbook', 'templates');

test.before(async () => {
  await ensureBuilt();
  project = mkdtempSync(join(tmpdir(), 'runbook-template-cache-'));
  cacheDir = join(project, 'cache');
  process.env.XDG_CACHE_HOME = cacheDir;
  mkdirSync(join(project, 'runbooks', 'templates'), { recursive: true });
  writeFileSync(join(project, 'local.yaml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  writeFileSync(join(project, 'runbooks', 'templates', 'app.conf.hbs'), 'port={{port}}\n{{#each names}}name={{this}}\n{{/each}}');
  writeFileSync(
    join(project, 'runbooks', 'site.yaml'),
    `name: site
vars:
  port: 2181
  names: [a, b]
steps:
  - name: Write app.conf
    template:
      src: templates/app.conf.hbs
      dest: "{{out}}/app.conf"
`,
  );
});

test.after(() => {
  delete process.env.XDG_CACHE_HOME;
  rmSync(project, { recursive: true, force: true });
});

const show = () => runbook(['show', 'site', '-i', 'local.yaml', '-e', 'out=/tmp/x'], project);

test('the second run renders from the cache what the first compiled; the file is private', async () => {
  const first = await show();
  assert.is(first.code, 0, first.stderr);
  const [file] = readdirSync(templates());
  assert.ok(file?.endsWith('.json'), 'one build file');
  assert.is(statSync(templates()).mode & 0o777, 0o700);
  assert.is(statSync(join(templates(), file)).mode & 0o777, 0o600);
  const second = await show();
  assert.is(second.stdout, first.stdout);
  assert.match(second.stdout, /"dest":"\/tmp\/x\/app\.conf"/);
});

test('an undefined variable in a cached template is still reported at its place', async () => {
  const r = await runbook(['show', 'site', '-i', 'local.yaml'], project);
  assert.is(r.code, 1);
  assert.match(r.stderr, /site\.yaml:9:\d+: undefined variable "out"/);
});

test("a cache file others may write is not evaluated; the user's own is", async () => {
  const [file] = readdirSync(templates());
  const poisoned = `{"compiler":[8,">= 4.3.0"],"main":function(){return "/poisoned"},"useData":true}`;
  const entry = { spec: poisoned, inherited: [], lone: false };
  writeFileSync(join(templates(), file), JSON.stringify({ [createHash('sha256').update('T{{out}}/app.conf').digest('hex')]: entry }));
  chmodSync(join(templates(), file), 0o666);
  assert.match((await show()).stdout, /"dest":"\/tmp\/x\/app\.conf"/, 'group- and world-writable: passed over');
  writeFileSync(join(templates(), file), JSON.stringify({ [createHash('sha256').update('T{{out}}/app.conf').digest('hex')]: entry }));
  chmodSync(join(templates(), file), 0o600);
  assert.match((await show()).stdout, /"dest":"\/poisoned"/, 'the same file, private: read (so the test above saw it passed over)');
});

test.run();
