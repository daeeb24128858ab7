import { describe, expect, it } from 'vitest';
import type { UsageConformanceHarness } from '../conformance.js';
import { TENANT_A, TENANT_B, conv, turn, useSubject } from './fixtures.js';

/** Two tenants with the same chat and user ids never see each other's usage. */
export function isolationTests(harness: UsageConformanceHarness): void {
  describe('tenant isolation', () => {
    const subject = useSubject(harness);

    it("never includes another tenant's usage in a summary or a budget check", async () => {
      const s = subject();
      await Promise.all([
        s.store.record(turn(s, { tenant: TENANT_A, costUsd: 3 })),
        s.store.record(turn(s, { tenant: TENANT_A, costUsd: 3 })),
        s.store.record(turn(s, { tenant: TENANT_B, costUsd: 0.5 })),
      ]);
      for (const window of ['day', 'month', 'all'] as const) {
        for (const [tenant, turns, costUsd] of [
          [TENANT_A, 2, 6],
          [TENANT_B, 1, 0.5],
        ] as const) {
          expect(await s.store.summary({ tenant }, window)).toMatchObject({ turns, costUsd });
          expect(await s.store.summary({ tenant, ...conv }, window)).toMatchObject({ turns, costUsd });
          expect(await s.store.summary({ tenant, userId: 42 }, window)).toMatchObject({ turns, costUsd });
        }
      }
      const budgets = { tenant: { dayUsd: 5 }, user: { dayUsd: 5 } };
      expect((await s.store.checkBudget({ tenant: TENANT_A, userId: 42 }, budgets)).allowed).toBe(false);
      expect(await s.store.checkBudget({ tenant: TENANT_B, userId: 42 }, budgets)).toEqual({ allowed: true });
    });

    it("keeps each tenant's raw records in its own namespace", async () => {
      const s = subject();
      await s.store.record(turn(s, { tenant: TENANT_A }));
      await s.store.record(turn(s, { tenant: TENANT_B, chat: conv.chat, userId: 42 }));
      const a = await s.raw.listTenantKeys(TENANT_A);
      const b = await s.raw.listTenantKeys(TENANT_B);
      // 10 counters (9 + the model's day counter) + 1 turn each; the same names in both, under different tenants.
      expect(a).toHaveLength(11);
      expect(b).toHaveLength(11);
      expect((await s.raw.listTurns(TENANT_B)).map((t) => t.chat)).toEqual(['100']);
      expect(await s.raw.readCounter(TENANT_A, 'user#42#all')).toMatchObject({ turns: 1 });
      expect(await s.raw.readCounter(TENANT_B, 'user#42#all')).toMatchObject({ turns: 1 });
    });
  });
}
