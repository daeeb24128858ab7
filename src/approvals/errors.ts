import { OmniError } from '../core/errors.js';

/** An approval record, resolution, notice or grant was malformed or too large; nothing was written. */
export class InvalidApprovalError extends OmniError {
  constructor(message: string) {
    super('invalid_approval', message, { status: 400 });
  }
}

/** `create` of an id that already holds a different request (an identical retry is not an error). */
export class ApprovalExistsError extends OmniError {
  constructor(message: string) {
    super('approval_exists', message, { status: 409 });
  }
}
