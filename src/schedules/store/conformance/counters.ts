import { describe, expect, it } from 'vitest';
import type { ScheduleHarness } from '../conformance.js';
import { MINUTE, START, TENANT_A, TENANT_B, useScheduleSubject } from './fixtures.js';

const HOUR = 60 * MINUTE;

/** `increment`: counts up to the limit exactly, also under concurrency; a counter expires. */
export function counterTests(harness: ScheduleHarness): void {
  describe('claim counters', () => {
    const subject = useScheduleSubject(harness);

    it('counts up to the limit, then refuses', async () => {
      const s = subject();
      const counted = [];
      for (let i = 0; i < 5; i++)
        counted.push(await s.claims.increment(TENANT_A, 'route:alarm:hour', 3, HOUR));
      expect(counted).toEqual([true, true, true, false, false]);
      expect(await s.raw.readClaim(TENANT_A, 'route:alarm:hour')).toEqual({
        value: '',
        count: 3,
        expiresAt: START + HOUR,
      });
      expect(await s.claims.increment(TENANT_B, 'route:alarm:hour', 3, HOUR)).toBe(true);
      // A higher limit on the same counter counts on from the stored count.
      expect(await s.claims.increment(TENANT_A, 'route:alarm:hour', 4, HOUR)).toBe(true);
      expect(await s.claims.increment(TENANT_A, 'route:alarm:hour', 4, HOUR)).toBe(false);
      expect(await s.claims.increment(TENANT_A, 'zero', 0, HOUR)).toBe(false);
      expect(await s.raw.readClaim(TENANT_A, 'zero')).toBeNull();
    });

    it('never counts past the limit under concurrency: 20 parallel increments with limit 5 → exactly 5', async () => {
      const s = subject();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => s.claims.increment(TENANT_A, 'burst', 5, HOUR)),
      );
      expect(results.filter(Boolean)).toHaveLength(5);
      expect((await s.raw.readClaim(TENANT_A, 'burst'))?.count).toBe(5);

      // Again on a counter that exists already (one count left).
      await Promise.all(Array.from({ length: 3 }, () => s.claims.increment(TENANT_A, 'warm', 4, HOUR)));
      const more = await Promise.all(
        Array.from({ length: 10 }, () => s.claims.increment(TENANT_A, 'warm', 4, HOUR)),
      );
      expect(more.filter(Boolean)).toHaveLength(1);
      expect((await s.raw.readClaim(TENANT_A, 'warm'))?.count).toBe(4);
    });

    it('expires a counter ttlMs after its first count, then starts again from 1', async () => {
      const s = subject();
      expect(await s.claims.increment(TENANT_A, 'window', 2, HOUR)).toBe(true);
      s.clock.advance(30 * MINUTE);
      expect(await s.claims.increment(TENANT_A, 'window', 2, HOUR)).toBe(true);
      // Later counts do not extend the window.
      expect((await s.raw.readClaim(TENANT_A, 'window'))?.expiresAt).toBe(START + HOUR);
      s.clock.advance(30 * MINUTE - 1);
      expect(await s.claims.increment(TENANT_A, 'window', 2, HOUR)).toBe(false);
      s.clock.advance(1);
      const restarted = s.clock.now();
      const racers = await Promise.all(
        Array.from({ length: 6 }, () => s.claims.increment(TENANT_A, 'window', 2, HOUR)),
      );
      expect(racers.filter(Boolean)).toHaveLength(2);
      expect(await s.raw.readClaim(TENANT_A, 'window')).toEqual({
        value: '',
        count: 2,
        expiresAt: restarted + HOUR,
      });
    });

    it('shares a key with putIfAbsent: a claimed record counts on, with its own expiry', async () => {
      const s = subject();
      await s.claims.putIfAbsent(TENANT_A, 'shared', 'v', 10 * MINUTE);
      expect(await s.claims.increment(TENANT_A, 'shared', 1, HOUR)).toBe(true);
      expect(await s.claims.increment(TENANT_A, 'shared', 1, HOUR)).toBe(false);
      expect(await s.raw.readClaim(TENANT_A, 'shared')).toEqual({
        value: 'v',
        count: 1,
        expiresAt: START + 10 * MINUTE,
      });
      expect(await s.claims.get(TENANT_A, 'shared')).toBe('v');
      await s.claims.delete(TENANT_A, 'shared');
      expect(await s.claims.increment(TENANT_A, 'shared', 1, HOUR)).toBe(true);
      expect(await s.claims.putIfAbsent(TENANT_A, 'shared', 'late', HOUR)).toEqual({
        created: false,
        value: '',
      });
    });
  });
}
