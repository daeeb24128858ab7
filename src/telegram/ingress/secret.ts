import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of the webhook secret (hashing first makes lengths equal). */
export function secretMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
