import { describe, expect, it } from 'vitest';
import { hostMemoryBudget, warmMaxFor } from './limits.js';

describe('warm pool size from the memory budget', () => {
  it('matches the documented defaults (docs/warm.md)', () => {
    expect(warmMaxFor(hostMemoryBudget(1_024))).toBe(2);
    expect(warmMaxFor(hostMemoryBudget(1_769))).toBe(6);
    expect(warmMaxFor(hostMemoryBudget(3_008))).toBe(11);
    expect(warmMaxFor(hostMemoryBudget(10_240))).toBe(16);
    expect(warmMaxFor({ bytes: 4 * 2 ** 30, reserveBytes: 400 * 2 ** 20, share: 1 })).toBe(16);
    expect(warmMaxFor({ bytes: 512 * 2 ** 20, reserveBytes: 400 * 2 ** 20, share: 1 })).toBe(0);
  });

  it('a host without a container limit offers the pool half of its RAM', () => {
    const budget = hostMemoryBudget(undefined);
    expect(budget.bytes).toBeGreaterThan(0);
    expect([0.5, 1]).toContain(budget.share);
  });
});
