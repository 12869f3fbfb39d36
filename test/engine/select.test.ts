// --step and --start-at-step: steps chosen by name (globs, included runbooks' steps alike), a
// start at a step or a checkpoint, and a name that matches nothing refused with the closest one.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planPlay } from '../../src/engine/plan.js';
import type { StepSelection } from '../../src/engine/select.js';
import type { UserError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { fixtureRegistry, inventory, runbook, step } from './helpers.js';

const s = (name: string) => step('log', { path: '/dev/null', text: name }, { name, id: `site.yaml#1/zk.yaml#1:${name}` });
const book = runbook([s('Download ZooKeeper'), s('Write zoo.cfg'), { kind: 'checkpoint', name: 'zookeeper-installed', pos: { file: 'site.yaml', line: 3, col: 3 } }, s('Write server.properties (broker.id, listeners)'), s('Start Kafka')]);

async function names(steps: StepSelection): Promise<string[]> {
  const plan = await planPlay({ runbook: book, inventory: inventory(1), registry: await fixtureRegistry(), extraVars: {}, tags: { only: [], skip: [] }, steps });
  return plan.items.flatMap((i) => (i.kind === 'step' ? [i.planned.step.name] : []));
}

test('--step by name or glob, repeatable; nothing selected means every step', async () => {
  assert.equal(await names({ names: ['Write zoo.cfg'] }), ['Write zoo.cfg']);
  assert.equal(await names({ names: ['Write *'] }), ['Write zoo.cfg', 'Write server.properties (broker.id, listeners)']);
  assert.equal(await names({ names: ['Start Kafka', 'Download*'] }), ['Download ZooKeeper', 'Start Kafka']);
  assert.equal((await names({})).length, 4);
});

test('a trailing parenthesis may be left out of a name, as the shipped runbooks explain steps in one', async () => {
  assert.equal(await names({ names: ['Write server.properties'] }), ['Write server.properties (broker.id, listeners)']);
  assert.equal(await names({ names: ['Write server.properties (broker.id, listeners)'] }), ['Write server.properties (broker.id, listeners)']);
  assert.equal(await names({ names: ['*.properties'] }), ['Write server.properties (broker.id, listeners)']);
});

test('--start-at-step at a step or a checkpoint; with --step, both apply', async () => {
  assert.equal(await names({ startAt: 'Write server.properties' }), ['Write server.properties (broker.id, listeners)', 'Start Kafka']);
  assert.equal(await names({ startAt: 'zookeeper-installed' }), ['Write server.properties (broker.id, listeners)', 'Start Kafka']);
  assert.equal(await names({ startAt: 'Write zoo.cfg', names: ['Write *'] }), ['Write zoo.cfg', 'Write server.properties (broker.id, listeners)']);
});

test('a name that matches no step is refused, with the closest one', async () => {
  const e = (await caught(names({ names: ['Write zoo.cgf'] }))) as UserError;
  assert.is(e.message, '--step Write zoo.cgf: no step of the play is named so');
  assert.match(e.hint ?? '', /did you mean "Write zoo.cfg"/);
  assert.match((await caught(names({ startAt: 'kafka-installed' }))).message, /--start-at-step kafka-installed/);
});

test.run();
