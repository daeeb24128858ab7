import { describe, expect, it } from 'vitest';
import { OmniError } from '../../core/errors.js';
import type { UsageConformanceHarness } from '../conformance.js';
import type { BudgetRefusal } from '../types.js';
import { FEB_1, MAR_1, TENANT_A, turn, useSubject } from './fixtures.js';

/** Budgets refuse a turn before the model is called, with a message a user can act on. */
export function budgetTests(harness: UsageConformanceHarness): void {
  describe('budgets', () => {
    const subject = useSubject(harness);
    const who = { tenant: TENANT_A, userId: 42 };

    it('allows everything without budgets', async () => {
      const s = subject();
      await s.store.record(turn(s, { costUsd: 1000 }));
      expect(await s.store.checkBudget(who, undefined)).toEqual({ allowed: true });
      expect(await s.store.checkBudget(who, {})).toEqual({ allowed: true });
      expect(await s.store.checkBudget(who, { tenant: {}, user: {} })).toEqual({ allowed: true });
    });

    it("refuses once the tenant's daily budget is used up, until the next UTC day", async () => {
      const s = subject();
      const budgets = { tenant: { dayUsd: 1 } };
      expect(await s.store.checkBudget(who, budgets)).toEqual({ allowed: true });
      await s.store.record(turn(s, { costUsd: 0.4 }));
      await s.store.record(turn(s, { costUsd: 0.4, userId: 7 }));
      expect(await s.store.checkBudget(who, budgets)).toEqual({ allowed: true });
      await s.store.record(turn(s, { costUsd: 0.3 }));

      const refused = (await s.store.checkBudget(who, budgets)) as BudgetRefusal;
      expect(refused).toMatchObject({
        allowed: false,
        scope: 'tenant',
        period: 'day',
        limitUsd: 1,
        spentUsd: 1.1,
        resetsAt: FEB_1,
      });
      expect(refused.reason).toContain('daily budget');
      expect(refused.reason).toContain('$1.10 of $1.00 spent today');
      expect(refused.reason).toContain('resets at 00:00 UTC (in 12 h)');
      // Everybody in the tenant is refused, also callers without a user id.
      expect((await s.store.checkBudget({ tenant: TENANT_A, userId: 7 }, budgets)).allowed).toBe(false);
      expect((await s.store.checkBudget({ tenant: TENANT_A }, budgets)).allowed).toBe(false);

      s.clock.set(FEB_1);
      expect(await s.store.checkBudget(who, budgets)).toEqual({ allowed: true });
    });

    it('refuses a turn that would exceed a limit (estimate) and one that reaches it exactly', async () => {
      const s = subject();
      const budgets = { tenant: { dayUsd: 1 } };
      await s.store.record(turn(s, { costUsd: 0.8 }));
      expect(await s.store.checkBudget({ ...who, estimateUsd: 0.2 }, budgets)).toEqual({ allowed: true });
      const refused = (await s.store.checkBudget({ ...who, estimateUsd: 0.3 }, budgets)) as BudgetRefusal;
      expect(refused.allowed).toBe(false);
      expect(refused.reason).toContain('would be exceeded');
      await s.store.record(turn(s, { costUsd: 0.2 }));
      expect((await s.store.checkBudget(who, budgets)).allowed).toBe(false);
    });

    it("applies a user's budget to that user only", async () => {
      const s = subject();
      const budgets = { user: { dayUsd: 0.5 }, tenant: { dayUsd: 10 } };
      await s.store.record(turn(s, { costUsd: 0.5 }));
      const refused = (await s.store.checkBudget(who, budgets)) as BudgetRefusal;
      expect(refused).toMatchObject({ allowed: false, scope: 'user', period: 'day', limitUsd: 0.5 });
      expect(refused.reason).toMatch(/^Your daily budget is used up \(\$0\.50 of \$0\.50 spent today\)/);
      expect(await s.store.checkBudget({ tenant: TENANT_A, userId: 43 }, budgets)).toEqual({ allowed: true });
      expect(await s.store.checkBudget({ tenant: TENANT_A }, budgets)).toEqual({ allowed: true });
    });

    it('reports the budget that resets last when several are used up', async () => {
      const s = subject();
      const budgets = { user: { dayUsd: 1, monthUsd: 2 }, tenant: { dayUsd: 1.5 } };
      s.clock.set(Date.UTC(2025, 0, 14, 12));
      await s.store.record(turn(s, { costUsd: 1 }));
      s.clock.set(Date.UTC(2025, 0, 15, 12));
      expect((await s.store.checkBudget(who, budgets)).allowed).toBe(true);
      await s.store.record(turn(s, { costUsd: 1.5 }));
      // User day, user month and tenant day are all used up; the user's month lasts longest.
      const refused = (await s.store.checkBudget(who, budgets)) as BudgetRefusal;
      expect(refused).toMatchObject({ scope: 'user', period: 'month', spentUsd: 2.5, resetsAt: FEB_1 });
      expect(refused.reason).toContain('Your monthly budget is used up ($2.50 of $2.00 spent this month)');
      expect(refused.reason).toContain('It resets on 1 Feb 2025, 00:00 UTC (in 16 days)');

      s.clock.set(FEB_1 + 1);
      expect((await s.store.checkBudget(who, budgets)).allowed).toBe(true);
      await s.store.record(turn(s, { costUsd: 2 }));
      const month = (await s.store.checkBudget(who, { user: { monthUsd: 2 } })) as BudgetRefusal;
      expect(month).toMatchObject({ period: 'month', resetsAt: MAR_1 });
      expect(month.reason).toContain('(in 28 days)');
    });

    it('refuses every turn with a zero limit and rejects negative limits', async () => {
      const s = subject();
      expect((await s.store.checkBudget(who, { tenant: { monthUsd: 0 } })).allowed).toBe(false);
      await expect(s.store.checkBudget(who, { tenant: { dayUsd: -1 } })).rejects.toBeInstanceOf(OmniError);
      await expect(
        s.store.checkBudget({ ...who, estimateUsd: -1 }, { tenant: { dayUsd: 1 } }),
      ).rejects.toBeInstanceOf(OmniError);
    });
  });
}
