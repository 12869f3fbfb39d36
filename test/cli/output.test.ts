import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunEvent } from '../../src/engine/events.js';
import { PlainSink } from '../../src/ui/plain.js';
import { JsonSink } from '../../src/ui/json.js';
import { formatRecap } from '../../src/ui/recap.js';
import { unifiedDiff } from '../../src/ui/diff.js';

const result = (more: Partial<Extract<RunEvent, { type: 'host-result' }>>): RunEvent => ({
  type: 'host-result',
  host: 'kafka01',
  stepId: 's1',
  stepName: 'Write zoo.cfg',
  task: 'template',
  status: 'ok',
  durationMs: 3,
  ...more,
});

function plain(events: RunEvent[]): string {
  let out = '';
  const sink = new PlainSink((t) => (out += t));
  events.forEach((e) => sink.emit(e));
  return out;
}

test('plain: one line per result, diff under it, hint on its own line', () => {
  const out = plain([
    result({}),
    result({ status: 'changed', summary: 'update /etc/zoo.cfg', diff: [{ path: '/etc/zoo.cfg', before: 'a=1\nb=2\n', after: 'a=1\nb=3\n' }] }),
    result({ status: 'skipped', reason: 'when: eq role "zk" is false' }),
    result({ status: 'failed', error: { kind: 'task', message: 'boom', hint: 'fix it' } }),
    result({ status: 'failed', error: { kind: 'task', message: 'meh' }, ignored: true }),
  ]);
  assert.equal(out.split('\n'), [
    'ok: [kafka01] Write zoo.cfg',
    'changed: [kafka01] Write zoo.cfg: update /etc/zoo.cfg',
    '--- /etc/zoo.cfg (before)',
    '+++ /etc/zoo.cfg (after)',
    '@@ -1,2 +1,2 @@',
    ' a=1',
    '-b=2',
    '+b=3',
    'skipping: [kafka01] Write zoo.cfg (when: eq role "zk" is false)',
    'failed: [kafka01] Write zoo.cfg: boom',
    '  hint: fix it',
    'failed: [kafka01] Write zoo.cfg: meh ...ignoring',
    '',
  ]);
});

test('diff of a new file and of a removed one', () => {
  assert.match(unifiedDiff({ path: '/x', before: null, after: 'new\n' }), /^--- \/dev\/null\n\+\+\+ \/x \(after\)\n@@ -0,0 \+1,1 @@\n\+new\n$/);
  assert.match(unifiedDiff({ path: '/x', before: 'old\n', after: null }), /\n-old\n$/);
});

test('recap: aligned, Ansible-like', () => {
  const zero = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
  assert.is(
    formatRecap({ kafka01: { ...zero, ok: 5, changed: 2 }, zk1: { ...zero, unreachable: 1 } }),
    'PLAY RECAP\nkafka01 : ok=5 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0\nzk1     : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0\n',
  );
});

test('json: one event per line; undo records stay out of stdout', () => {
  let out = '';
  const sink = new JsonSink((t) => (out += t));
  sink.emit({ type: 'host-undo', host: 'h', stepId: 's', task: 'copy', undo: { before: 'password=secret' } });
  sink.emit(result({ status: 'changed', undo: [{ task: 'copy', record: { before: 'password=secret' } }] }));
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.length, 2);
  assert.is(lines[0].type, 'host-undo');
  assert.is(lines[1].status, 'changed');
  assert.not.match(out, /secret/);
});

test.run();
