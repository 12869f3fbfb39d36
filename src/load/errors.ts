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

/** Throws the collected errors: the only one as itself, several as one UserErrors. */
export function throwCollected(errors: UserError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new UserErrors(errors);
}
