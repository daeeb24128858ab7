import { describe, expect, it } from 'vitest';
import { formatDuration, formatUsd } from './budget.js';
import { dayEnd, dayKey, monthEnd, monthKey } from './periods.js';

describe('usage periods and formatting', () => {
  it('keys and ends UTC days and months (leap years, year ends)', () => {
    const t = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    expect(dayKey(t)).toBe('2024-02-29');
    expect(monthKey(t)).toBe('2024-02');
    expect(dayEnd(t)).toBe(Date.UTC(2024, 2, 1));
    expect(monthEnd(t)).toBe(Date.UTC(2024, 2, 1));
    expect(monthEnd(Date.UTC(2024, 11, 31, 12))).toBe(Date.UTC(2025, 0, 1));
    expect(dayEnd(Date.UTC(2025, 0, 1))).toBe(Date.UTC(2025, 0, 2));
  });

  it('formats money and durations for people', () => {
    expect(formatUsd(5)).toBe('$5.00');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatDuration(1)).toBe('1 min');
    expect(formatDuration(61 * 60_000)).toBe('1 h 1 min');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(47 * 3600_000)).toBe('47 h');
    expect(formatDuration(5 * 86_400_000 + 1)).toBe('5 days');
  });
});
