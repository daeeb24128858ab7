import { parseTenantId } from '../../core/ids.js';
import { CLAIM_KEY_RE, MAX_CLAIM_VALUE_BYTES } from '../claims.js';
import { InvalidClaimError, InvalidScheduleError } from '../errors.js';
import { parseScheduleSpec, writtenSpec } from '../spec.js';
import type { ScheduleRecord } from '../types.js';

/**
 * What every store checks before a write (the same in each backend): a record is a valid spec
 * (re-read through the one schema) plus sane bookkeeping; claim keys, values and TTLs are bounded.
 */
export function assertScheduleRecord(record: ScheduleRecord): void {
  try {
    parseTenantId(record.tenant);
  } catch (err) {
    throw new InvalidScheduleError(`[schedules] ${(err as Error).message}`);
  }
  parseScheduleSpec(writtenSpec(record));
  const times = [record.createdAt, record.updatedAt, record.lastDueAt].filter((t) => t !== undefined);
  if (!times.every((t) => Number.isSafeInteger(t) && t >= 0 && t < Date.UTC(2200, 0, 1))) {
    throw new InvalidScheduleError('[schedules] times must be epoch milliseconds before 2200');
  }
  if (record.origin !== 'config' && record.origin !== 'runtime') {
    throw new InvalidScheduleError('[schedules] origin must be config or runtime');
  }
  if (typeof record.paused !== 'boolean')
    throw new InvalidScheduleError('[schedules] paused must be a boolean');
  if (typeof record.createdBy !== 'string' || record.createdBy.length < 1 || record.createdBy.length > 200) {
    throw new InvalidScheduleError('[schedules] createdBy must be 1–200 characters');
  }
  if (record.topic !== undefined && !(Number.isSafeInteger(record.topic) && record.topic > 0)) {
    throw new InvalidScheduleError('[schedules] topic must be a positive integer');
  }
}

export function assertClaimKey(key: string): void {
  if (typeof key !== 'string' || !CLAIM_KEY_RE.test(key)) {
    throw new InvalidClaimError(`[claims] a key is 1–200 characters A-Z a-z 0-9 : _ . # -`);
  }
}

export function assertClaimValue(value: string): void {
  if (typeof value !== 'string' || Buffer.byteLength(value, 'utf8') > MAX_CLAIM_VALUE_BYTES) {
    throw new InvalidClaimError(`[claims] a value is a string of at most ${MAX_CLAIM_VALUE_BYTES} bytes`);
  }
}

/** Between a second and 400 days. */
export function assertClaimTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > 400 * 86_400_000) {
    throw new InvalidClaimError('[claims] ttlMs must be a whole number between 1 s and 400 days');
  }
}
