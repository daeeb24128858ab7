import { OmniError } from './errors.js';

/**
 * A turn's result is recorded but its reply is not sent now: its bot's next send slot is too far
 * away to hold the worker for it (the reply outbox, docs/scale.md §8.8). Thrown by the Telegram
 * worker only when the queue said it may defer (`Delivery.defer`); the runner lets it through
 * without marking the result delivered, and the SQS batch handler makes the message visible again
 * at `untilMs`, when the recorded result is delivered without running the model again. Never shown
 * to a person: it is not a failure.
 */
export class DeliveryDeferredError extends OmniError {
  /** When (epoch ms) the reply's slot is expected: the message comes back then. */
  readonly untilMs: number;

  constructor(untilMs: number) {
    super(
      'delivery_deferred',
      `[telegram:outbox] reply deferred until ${new Date(untilMs).toISOString()}: no send slot before then`,
      { status: 503 },
    );
    this.untilMs = untilMs;
  }
}
