import { describe, expect, it } from 'vitest';
import { createMemorySendBudget } from './memory.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

describe('createMemorySendBudget: nextSlot', () => {
  it('an idle bot: now’s slot on the grid (what a reservation now would get)', async () => {
    const budget = createMemorySendBudget(10);
    expect(await budget.nextSlot(T0 + 30)).toBe(T0 + 100);
    expect(await budget.reserve(T0 + 30, 'wait')).toBe(T0 + 100);
  });

  it('booked ahead: the slot the next `wait` reservation gets, nothing taken', async () => {
    const budget = createMemorySendBudget(10);
    for (let i = 0; i < 25; i++) await budget.reserve(T0, 'wait');
    expect(await budget.nextSlot(T0)).toBe(T0 + 2500);
    expect(await budget.nextSlot(T0)).toBe(T0 + 2500);
    expect(await budget.reserve(T0, 'wait')).toBe(T0 + 2500);
    expect(await budget.nextSlot(T0 + 1000)).toBe(T0 + 2600);
  });

  it('a slot booked later leaves the free ones before it: now stays free', async () => {
    const budget = createMemorySendBudget(10);
    await budget.reserve(T0 + 5000, 'wait');
    expect(await budget.nextSlot(T0)).toBe(T0);
  });
});
