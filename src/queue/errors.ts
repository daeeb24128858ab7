import { OmniError } from '../core/errors.js';

/** The queue could not accept or hand out a message (transient: retry the delivery). */
export class QueueError extends OmniError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('queue_unavailable', message, { cause: options?.cause, status: 503 });
  }
}

/** A queued body is not a valid `QueuedMessage` (it can never succeed: dead-letter it). */
export class QueueMessageFormatError extends OmniError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('queue_message_invalid', message, { cause: options?.cause, status: 400 });
  }
}
