/** Injected time source, so expiry and lease logic can be tested without sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Conversations expire this long after their last turn (DynamoDB TTL / S3 lifecycle use the same horizon). */
export const CONVERSATION_RETENTION_DAYS = 25;
