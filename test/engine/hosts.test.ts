// Which hosts a step runs on: its pattern, rendered with play-level vars when it holds a template
// (Ansible's `hosts: "{{ target }}"`), narrowed by the `hosts:` of the includes that brought it in.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planPlay } from '../../src/engine/plan.js';
import type { Vars } from '../../src/model.js';
import type { UserError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { fixtureRegistry, inventory, runbook, step } from './helpers.js';

const inv = inventory(4, { zookeeper: ['h1', 'h2', 'h3'], kafka: ['h1', 'h2', 'h3', 'h4'] });

async function hostsOf(steps: ReturnType<typeof step>[], extraVars: Vars = {}, vars = {}): Promise<string[][]> {
  const plan = await planPlay({ runbook: runbook(steps, { vars }), inventory: inv, registry: await fixtureRegistry(), extraVars, tags: { only: [], skip: [] } });
  return plan.items.flatMap((i) => (i.kind === 'step' ? [i.planned.hosts] : []));
}

test('a templated pattern is rendered with -e, include vars and runbook defaults', async () => {
  const s = (hosts: string, scope: Vars = {}) => step('log', { path: '/dev/null', text: 'x' }, { hosts, scope });
  assert.equal(await hostsOf([s('{{brokers}}:&kafka'), s('kafka:!{{brokers}}')], { brokers: 'h4' }), [['h4'], ['h1', 'h2', 'h3']]);
  assert.equal(await hostsOf([s('{{target}}', { target: 'zookeeper' })]), [['h1', 'h2', 'h3']]);
  assert.equal(await hostsOf([s('{{target}}')], {}, { target: { type: 'string', default: 'h2,h3' } }), [['h2', 'h3']]);
});

test('a templated pattern that matches no host is an error at its position; a plain one runs nowhere', async () => {
  const e = await caught(hostsOf([step('log', { path: '/dev/null', text: 'x' }, { hosts: '{{brokers}}:&kafka', positions: { hosts: { file: '/x/add.yaml', line: 7, col: 12 } } })], { brokers: 'kafka04' }));
  assert.match(e.message, /hosts: \{\{brokers\}\}:&kafka is "kafka04:&kafka", which matches no host/);
  assert.is((e as UserError).pos?.file, '/x/add.yaml');
  assert.equal(await hostsOf([step('log', { path: '/dev/null', text: 'x' }, { hosts: 'nothing' })]), [[]]);
});

test("an include's hosts narrow every step under it, its own pattern included", async () => {
  const s = (hosts: string, within: string[]) => step('log', { path: '/dev/null', text: 'x' }, { hosts, within });
  assert.equal(await hostsOf([s('all', ['{{brokers}}']), s('zookeeper', ['h3,h4']), s('kafka', ['kafka', 'h1,h4'])], { brokers: 'h4' }), [['h4'], ['h3'], ['h1', 'h4']]);
});

test.run();
