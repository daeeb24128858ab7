import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import { createMemoryDeduper, type UpdateDeduper } from './dedupe.js';
import { createSqliteDeduper } from './dedupe-sqlite.js';

const A = 'default' as TenantId;
const B = 'acme' as TenantId;

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

const backends: Array<[string, (clock: Clock) => UpdateDeduper]> = [
  ['memory', (clock) => createMemoryDeduper({ ttlMs: 1000, clock })],
  ['sqlite', (clock) => createSqliteDeduper({ path: ':memory:', ttlMs: 1000, clock })],
];

describe.each(backends)('UpdateDeduper: %s', (_name, create) => {
  it('claims an update once per tenant', async () => {
    const d = create(manualClock());
    expect(await d.claim(A, 1)).toBe(true);
    expect(await d.claim(A, 1)).toBe(false);
    expect(await d.claim(B, 1)).toBe(true);
    expect(await d.claim(A, 2)).toBe(true);
  });

  it('expires claims after the TTL', async () => {
    const clock = manualClock();
    const d = create(clock);
    expect(await d.claim(A, 1)).toBe(true);
    clock.advance(999);
    expect(await d.claim(A, 1)).toBe(false);
    clock.advance(1);
    expect(await d.claim(A, 1)).toBe(true);
  });

  it('release lets a failed update be processed again', async () => {
    const d = create(manualClock());
    await d.claim(A, 5);
    await d.release(A, 5);
    expect(await d.claim(A, 5)).toBe(true);
  });
});
