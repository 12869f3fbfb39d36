// ControllerInfo is made in one place for the engine, rollback and the harness: a step's relative
// paths resolve in the directory of the runbook file that holds it (an included one's own), where
// rollback used the top runbook's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controllerInfo } from '../../src/task/controller.js';

test("a step of an included runbook resolves in that runbook's directory; the cache is the project's", () => {
  const info = controllerInfo('/work/team', 'run-1', { pos: { file: '/work/team/node_modules/kafka-books/runbooks/kafka.yaml', line: 3, col: 5 } });
  assert.equal(info, { projectDir: '/work/team', runbookDir: '/work/team/node_modules/kafka-books/runbooks', cacheDir: '/work/team/.runbook/cache', runId: 'run-1' });
  assert.is(controllerInfo('/p', 'r', { runbookDir: '/p/runbooks' }).runbookDir, '/p/runbooks');
});

test.run();
