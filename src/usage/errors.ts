import { OmniError } from '../core/errors.js';

/** A usage record or scope was malformed (negative tokens, a hostile user id, …); nothing was written. */
export class InvalidUsageError extends OmniError {
  constructor(message: string) {
    super('invalid_usage', message, { status: 400 });
  }
}
