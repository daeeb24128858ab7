import { OmniError } from '../core/errors.js';

/**
 * Why an inbound event was refused. Each carries the HTTP status the endpoint answers with; the
 * messages are ours (never the sender's text beyond a field name) and never contain a secret.
 */
export class EventError extends OmniError {}

/** The body is not an event we accept: `field` names the offending field (`alerts[0].startsAt`). */
export class EventFormatError extends EventError {
  readonly field: string;
  /** The problem without the field (`must be a time between 2000 and 2200`). */
  readonly reason: string;

  constructor(field: string, reason: string) {
    super('invalid_event', `[events] ${field || 'body'}: ${reason}`, { status: 400 });
    this.field = field || 'body';
    this.reason = reason;
  }
}

/** An SNS message whose signature, certificate or timestamp does not check out (401). */
export class EventSignatureError extends EventError {
  constructor(message: string) {
    super('invalid_signature', `[events:sns] ${message}`, { status: 401 });
  }
}

/** Authenticated, but not allowed: a certificate or confirmation URL off AWS, an unlisted topic (403). */
export class EventForbiddenError extends EventError {
  constructor(message: string) {
    super('forbidden', `[events] ${message}`, { status: 403 });
  }
}
