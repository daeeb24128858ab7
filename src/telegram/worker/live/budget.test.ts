import { describe, expect, it } from 'vitest';
import { createChatBudget } from './budget.js';

describe('createChatBudget', () => {
  it('lets the first update go at once, then one per interval', () => {
    const budget = createChatBudget(1000);
    expect(budget.waitMs(5000)).toBe(0);
    budget.take(5000);
    expect(budget.waitMs(5000)).toBe(1000);
    expect(budget.waitMs(5600)).toBe(400);
    expect(budget.waitMs(6000)).toBe(0);
  });

  it('waits out a retry_after even when the interval has passed, and never shortens it', () => {
    const budget = createChatBudget(1000);
    budget.take(0);
    budget.pauseUntil(7000);
    budget.take(1000);
    expect(budget.waitMs(1000)).toBe(6000);
    budget.pauseUntil(2000);
    expect(budget.waitMs(1000)).toBe(6000);
  });
});
