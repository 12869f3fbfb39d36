// hostname: the name is checked before anything reaches a host (hostnamectl on a real systemd:
// the systasks-lab suite).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import hostname from '../../tasks/hostname.js';
import { hostileValues } from '../helpers/task-harness.js';

test('host names as the manual gives them are taken; hostile ones and malformed ones are refused', () => {
  for (const name of ['kafka01', 'kafka-01.internal.example', 'a']) assert.ok(hostname.args.safeParse({ name }).success, name);
  for (const name of ['-kafka', 'kafka_01', 'kafka..01', 'kafka01.', `${'a'.repeat(64)}.example`, ...hostileValues('/tmp/pwned')]) {
    assert.not.ok(hostname.args.safeParse({ name }).success, name);
  }
});

test.run();
