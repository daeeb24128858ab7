import { parseTenantId, type TenantId } from '../../core/ids.js';
import { CLAIM_KEY_RE, MAX_CLAIM_VALUE_BYTES } from '../claims.js';
import { InvalidClaimError, InvalidScheduleError } from '../errors.js';
import { parseScheduleName, parseScheduleSpec, writtenSpec } from '../spec.js';
import type { ScheduleName, ScheduleRecord } from '../types.js';

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
  if (!times.every(isEpochMs)) {
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

const isEpochMs = (t: unknown): boolean =>
  typeof t === 'number' && Number.isSafeInteger(t) && t >= 0 && t < Date.UTC(2200, 0, 1);

/** The (tenant, name) address of a read or a small write: the tenant id, then the name. */
export function assertScheduleAddress(tenant: TenantId, name: ScheduleName): void {
  parseTenantId(tenant);
  parseScheduleName(name);
}

/** `put`'s `expectedVersion`: undefined or a whole number ≥ 0. */
export function assertExpectedVersion(expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && !(Number.isSafeInteger(expectedVersion) && expectedVersion >= 0)) {
    throw new InvalidScheduleError('[schedules] expectedVersion must be a whole number ≥ 0');
  }
}

/** `setTopic`'s topic: a Telegram forum topic id. */
export function assertTopic(topic: number): void {
  if (!(Number.isSafeInteger(topic) && topic > 0)) {
    throw new InvalidScheduleError('[schedules] topic must be a positive integer');
  }
}

/** `markDue`'s due time: epoch milliseconds. */
export function assertDueAt(dueAt: number): void {
  if (!isEpochMs(dueAt))
    throw new InvalidScheduleError('[schedules] dueAt must be epoch milliseconds before 2200');
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

/** `increment`'s limit: a whole number ≥ 0 (0 never counts). */
export function assertClaimLimit(limit: number): void {
  if (!(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new InvalidClaimError('[claims] limit must be a whole number ≥ 0');
  }
}

/** Between a second and 400 days. */
export function assertClaimTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > 400 * 86_400_000) {
    throw new InvalidClaimError('[claims] ttlMs must be a whole number between 1 s and 400 days');
  }
}
