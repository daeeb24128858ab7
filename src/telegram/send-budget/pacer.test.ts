import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { createGcra } from './gcra.js';
import { createMemorySendBudget } from './memory.js';
import { createSendPacer, NOW_SLACK_MS } from './pacer.js';
import type { SendBudget } from './types.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

/** The most times within any window of `windowMs` (sorted input not required). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function pacerAt(perSecond = 30, budget?: SendBudget) {
  const clock = new ManualClock(T0);
  const pacer = createSendPacer({
    budget: budget ?? createMemorySendBudget(perSecond),
    limits: { chatIntervalMs: 1000, groupIntervalMs: 3000 },
    clock,
  });
  return { clock, pacer };
}

describe('gcra', () => {
  it('spaces calls by the interval and lets `burst` go at once', () => {
    const g = createGcra(100, 3);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = g.next(0);
      g.take(at);
      times.push(at);
    }
    expect(times).toEqual([0, 0, 0, 100, 200]);
  });
});

describe('send pacer', () => {
  it('keeps a bot at its rate: 90 replies to 90 chats at once go evenly, ≤ 30 in any second', async () => {
    const { pacer } = pacerAt(30);
    const times = await Promise.all(Array.from({ length: 90 }, (_, i) => pacer.schedule(i + 1, 'wait')));
    const sorted = (times as number[]).sort((a, b) => a - b);
    expect(sorted[0]).toBe(T0);
    expect(sorted[89]! - T0).toBeCloseTo((89 * 1000) / 30, 2);
    expect(maxInWindow(sorted, 1000)).toBe(30);
  });

  it('keeps a chat at 1 a second and a group at 20 a minute', async () => {
    const { pacer } = pacerAt(30);
    const chat = await Promise.all([1, 2, 3].map(() => pacer.schedule(42, 'wait')));
    const group = await Promise.all([1, 2, 3].map(() => pacer.schedule(-100, 'wait')));
    expect(chat.map((t) => t! - T0)).toEqual([0, 1000, 2000]);
    // The bot's slot at T0 went to the chat: the group's first is the next one (1/30 s later).
    expect(group.map((t) => Math.round(t! - T0))).toEqual([33, 3033, 6033]);
    const minute = await Promise.all(Array.from({ length: 40 }, () => pacer.schedule(-200, 'wait')));
    expect(maxInWindow(minute as number[], 60_000)).toBe(20);
  });

  it('drops typing and live updates first: replies keep their slots, `now` gets none while they wait', async () => {
    const { clock, pacer } = pacerAt(30);
    expect(await pacer.schedule(undefined, 'now')).toBe(T0); // idle bot: typing goes
    await Promise.all(Array.from({ length: 60 }, (_, i) => pacer.schedule(i + 1, 'wait')));
    expect(await pacer.schedule(undefined, 'now')).toBeUndefined(); // typing dropped
    expect(await pacer.schedule(500, 'now')).toBeUndefined(); // a live edit skipped
    const reply = await pacer.schedule(501, 'wait');
    expect(reply).toBeGreaterThan(T0 + 1900); // a reply still gets the next slot, after the others
    clock.advance(2100);
    expect(await pacer.schedule(undefined, 'now')).toBe(clock.now()); // the budget has room again
  });

  it('skips a live update when its chat is paced, unless the slot is due within the slack', async () => {
    const { clock, pacer } = pacerAt(30);
    expect(await pacer.schedule(7, 'now')).toBe(T0);
    clock.advance(500);
    expect(await pacer.schedule(7, 'now')).toBeUndefined();
    clock.advance(500 - NOW_SLACK_MS / 2);
    expect(await pacer.schedule(7, 'now')).toBe(T0 + 1000);
  });

  it('keeps the order of a chat’s calls when the bot budget answers out of order', async () => {
    const inner = createMemorySendBudget(30);
    let calls = 0;
    // A shared budget's round trips do not come back in order: delay each by a different amount.
    const jumbled: SendBudget = {
      async reserve(notBefore, mode) {
        const turns = [5, 0, 3, 1][calls++ % 4] as number;
        for (let i = 0; i < turns; i++) await Promise.resolve();
        return inner.reserve(notBefore, mode);
      },
      nextSlot: (now) => inner.nextSlot(now),
    };
    const { pacer } = pacerAt(30, jumbled);
    const parts = await Promise.all(Array.from({ length: 8 }, () => pacer.schedule(9, 'wait')));
    const others = await Promise.all(Array.from({ length: 8 }, (_, i) => pacer.schedule(100 + i, 'wait')));
    expect(parts).toEqual([...(parts as number[])].sort((a, b) => a - b));
    expect(new Set(parts).size).toBe(8);
    expect(others.every((t) => t !== undefined)).toBe(true);
  });

  it('acquire sleeps until the slot and says whether to send', async () => {
    const clock = new ManualClock(T0);
    const slept: number[] = [];
    const pacer = createSendPacer({
      budget: createMemorySendBudget(30),
      limits: { chatIntervalMs: 1000 },
      clock,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(await pacer.acquire(1, 'wait')).toBe(true);
    expect(await pacer.acquire(1, 'wait')).toBe(true);
    expect(await pacer.acquire(1, 'now')).toBe(false);
    expect(slept).toEqual([1000]);
  });
});
