import { DAY_MS } from '../core/clock.js';

/**
 * Calendar periods in UTC. A day counter is keyed `2025-01-31`, a month counter `2025-01`; a
 * period's end is the exclusive instant the next one starts (when its budget resets).
 */
export function dayKey(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function monthKey(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** Next UTC midnight after `epochMs`. */
export function dayEnd(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS + DAY_MS;
}

/** 00:00 UTC on the first of the month after `epochMs`. */
export function monthEnd(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Round up to a whole second (DynamoDB TTL is in seconds; both backends store the same instant). */
export function ceilToSecond(epochMs: number): number {
  return Math.ceil(epochMs / 1000) * 1000;
}
