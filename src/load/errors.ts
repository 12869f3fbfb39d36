// Several located errors found in one pass (every unknown task in a runbook), reported together.

import { UserError } from '../errors.js';

export class UserErrors extends UserError {
  readonly errors: UserError[];

  constructor(errors: UserError[]) {
    const [first] = errors;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    super(first.kind, first.message + more, { pos: first.pos, host: first.host, step: first.step, hint: first.hint });
    this.name = 'UserErrors';
    this.errors = errors;
  }
}

/** One error for several found together: the only one as itself, several as one UserErrors. */
export function collected(errors: UserError[]): UserError {
  return errors.length === 1 ? errors[0] : new UserErrors(errors);
}

/** Throws the errors found, if any. */
export function throwCollected(errors: UserError[]): void {
  if (errors.length > 0) throw collected(errors);
}
