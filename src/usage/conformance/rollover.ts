import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../core/clock.js';
import type { UsageConformanceHarness } from '../conformance.js';
import { DEFAULT_RETENTION_MS, FEB_1, MAR_1, START, TENANT_A, conv, turn, useSubject } from './fixtures.js';

/** Day and month windows follow the injected clock (UTC); retention expires counters. */
export function rolloverTests(harness: UsageConformanceHarness): void {
  describe('periods', () => {
    const subject = useSubject(harness);

    it('starts a new day and a new month at 00:00 UTC', async () => {
      const s = subject();
      s.clock.set(Date.UTC(2025, 0, 30, 23, 59, 59));
      await s.store.record(turn(s, { costUsd: 1 }));
      s.clock.set(Date.UTC(2025, 0, 31, 0, 0, 1));
      await s.store.record(turn(s, { costUsd: 2 }));

      const cost = async (window: 'day' | 'month' | 'all', now?: number) =>
        (await s.store.summary({ tenant: TENANT_A, userId: 42 }, window, now)).costUsd;
      expect(await cost('day')).toBe(2);
      expect(await cost('month')).toBe(3);
      expect(await cost('day', Date.UTC(2025, 0, 30, 12))).toBe(1);

      s.clock.set(FEB_1 + 1000);
      expect(await cost('day')).toBe(0);
      expect(await cost('month')).toBe(0);
      expect(await cost('all')).toBe(3);
      await s.store.record(turn(s, { costUsd: 4 }));
      expect(await cost('day')).toBe(4);
      expect(await cost('month')).toBe(4);
      expect(await cost('all')).toBe(7);
      expect(await cost('month', START)).toBe(3);

      expect((await s.raw.readCounter(TENANT_A, 'tenant#day#2025-01-30'))?.costMicroUsd).toBe(1_000_000);
      expect((await s.raw.readCounter(TENANT_A, 'tenant#day#2025-01-31'))?.costMicroUsd).toBe(2_000_000);
      expect((await s.raw.readCounter(TENANT_A, 'tenant#month#2025-01'))?.costMicroUsd).toBe(3_000_000);
      expect(await s.raw.readCounter(TENANT_A, 'tenant#month#2025-02')).toMatchObject({
        costMicroUsd: 4_000_000,
        expiresAt: MAR_1 + DEFAULT_RETENTION_MS,
      });
    });

    it('counts a turn in the period of its `at`, not of the moment it is recorded', async () => {
      const s = subject();
      s.clock.set(FEB_1 + 5000);
      await s.store.record(turn(s, { at: FEB_1 - 2000, costUsd: 1 }));
      expect((await s.store.summary({ tenant: TENANT_A, ...conv }, 'day')).turns).toBe(0);
      expect((await s.store.summary({ tenant: TENANT_A, ...conv }, 'day', FEB_1 - 1)).turns).toBe(1);
      expect(await s.raw.readCounter(TENANT_A, 'conv#100:main#month#2025-01')).toMatchObject({ turns: 1 });
    });
  });

  describe('retention', () => {
    const subject = useSubject(harness, { retentionDays: 2 });

    it('expires raw turns and counters after the retention window and restarts expired counters', async () => {
      const s = subject();
      await s.store.record(turn(s, { costUsd: 1 }));
      expect((await s.raw.listTurns(TENANT_A))[0]?.expiresAt).toBe(START + 2 * DAY_MS);
      expect((await s.raw.readCounter(TENANT_A, 'tenant#day#2025-01-31'))?.expiresAt).toBe(
        FEB_1 + 2 * DAY_MS,
      );

      s.clock.advance(2 * DAY_MS);
      expect((await s.store.summary({ tenant: TENANT_A }, 'all')).turns).toBe(0);
      await s.store.record(turn(s, { costUsd: 2 }));
      expect(await s.store.summary({ tenant: TENANT_A }, 'all')).toMatchObject({ turns: 1, costUsd: 2 });
      expect(await s.raw.readCounter(TENANT_A, 'tenant#all')).toMatchObject({
        turns: 1,
        costMicroUsd: 2_000_000,
        expiresAt: START + 4 * DAY_MS,
      });
    });
  });
}
