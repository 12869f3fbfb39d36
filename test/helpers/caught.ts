// uvu has no assert.rejects: this returns what a promise rejected with, and fails if it resolved.
import * as assert from 'uvu/assert';

export async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    assert.instance(e, Error);
    return e as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
