import { OmniError } from '../../core/errors.js';

/** Stable code of a turn that waited past the limit for its tenant's model-request budget. */
export const MODEL_RATE_LIMITED = 'model_rate_limited';

/**
 * The tenant's model-request budget had no slot within the maximum wait. Thrown before a turn
 * starts (nothing ran: 429, and a queue tries the message again later); inside a turn it ends the
 * turn with an error result that names this code.
 */
export class ModelRateLimitedError extends OmniError {
  constructor(message: string) {
    super(MODEL_RATE_LIMITED, message, { status: 429 });
  }
}
