import { describe, expect, it } from 'vitest';
import { OmniError } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import type { UsageConformanceHarness } from '../conformance.js';
import { START, TENANT_A, TENANT_B, turn, useSubject } from './fixtures.js';

const SONNET = 'claude-sonnet-4-5';
/** A Bedrock-style id with every separator the keys use: `:`, `/` and `#`. */
const ARN = 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic#v1';
/** The suite's own spelling of the encoded segments (`encodeURIComponent`; `%` for no model). */
const ARN_SEGMENT = 'arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.anthropic%23v1';
const MAX_MODELS = 20;
const ZERO_TOKENS = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };

/** Per-day history and the split by model: per-model day counters found through the day's model set. */
export function historyTests(harness: UsageConformanceHarness): void {
  describe('daily history by model', () => {
    const subject = useSubject(harness);

    it('writes a per-model day counter and the model set of the tenant day with the turn', async () => {
      const s = subject();
      await s.store.record(turn(s, { model: SONNET, costUsd: 1 }));
      await s.store.record(turn(s, { model: ARN, costUsd: 2 }));
      await s.store.record(turn(s, { model: ARN, costUsd: 3 }));
      await s.store.record(turn(s, { model: null, costUsd: 0 }));

      expect(await s.raw.readModelSet(TENANT_A, 'tenant#day#2025-01-31')).toEqual(
        ['%', ARN_SEGMENT, SONNET].sort(),
      );
      expect(await s.raw.readCounter(TENANT_A, `model#${ARN_SEGMENT}#day#2025-01-31`)).toMatchObject({
        turns: 2,
        costMicroUsd: 5_000_000,
      });
      expect(await s.raw.readCounter(TENANT_A, `model#${SONNET}#day#2025-01-31`)).toMatchObject({ turns: 1 });
      expect(await s.raw.readCounter(TENANT_A, 'model#%#day#2025-01-31')).toMatchObject({ turns: 1 });
      // Only the tenant's day counter carries a set; no month or all counter per model.
      expect(await s.raw.readModelSet(TENANT_A, 'tenant#month#2025-01')).toBeNull();
      expect(await s.raw.readModelSet(TENANT_A, 'conv#100:main#day#2025-01-31')).toBeNull();
      const keys = await s.raw.listTenantKeys(TENANT_A);
      expect(keys.filter((k) => k.startsWith('model#'))).toHaveLength(3);
      expect(keys.filter((k) => k.startsWith('model#') && !k.endsWith('#day#2025-01-31'))).toEqual([]);
    });

    it('returns the last N days oldest first, each split by model, most expensive first', async () => {
      const s = subject();
      s.clock.set(Date.UTC(2025, 0, 29, 10));
      await s.store.record(turn(s, { model: SONNET, costUsd: 0.25 }));
      s.clock.set(Date.UTC(2025, 0, 31, 0, 0, 1));
      await s.store.record(turn(s, { model: SONNET, costUsd: 0.5 }));
      await s.store.record(turn(s, { model: ARN, costUsd: 1.5 }));
      await s.store.record(turn(s, { tenant: TENANT_B, model: 'other-tenant-model', costUsd: 9 }));
      s.clock.set(START);

      const days = await s.store.daily(TENANT_A, 4);
      expect(days.map((d) => d.date)).toEqual(['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31']);
      expect(days[0]).toEqual({ date: '2025-01-28', turns: 0, tokens: ZERO_TOKENS, costUsd: 0, models: [] });
      expect(days[1]).toMatchObject({
        turns: 1,
        costUsd: 0.25,
        models: [{ model: SONNET, turns: 1, costUsd: 0.25 }],
      });
      expect(days[2]).toMatchObject({ turns: 0, models: [] });
      expect(days[3]).toMatchObject({
        turns: 2,
        costUsd: 2,
        tokens: { input: 200, output: 40, cacheCreation: 10, cacheRead: 2000 },
        models: [
          {
            model: ARN,
            turns: 1,
            costUsd: 1.5,
            tokens: { input: 100, output: 20, cacheCreation: 5, cacheRead: 1000 },
          },
          { model: SONNET, turns: 1, costUsd: 0.5 },
        ],
      });
      // Another `now` reads another window; the other tenant's turn is in neither.
      const earlier = await s.store.daily(TENANT_A, 1, Date.UTC(2025, 0, 29, 23));
      expect(earlier).toMatchObject([{ date: '2025-01-29', turns: 1 }]);
      expect((await s.store.daily(TENANT_B, 2)).map((d) => d.models.map((m) => m.model))).toEqual([
        [],
        ['other-tenant-model'],
      ]);
      expect(await s.store.daily(TENANT_A, 90)).toHaveLength(90);
    });

    it(`lists at most ${MAX_MODELS} models a day; the others still count in the day and their own counters`, async () => {
      const s = subject();
      const models = Array.from({ length: MAX_MODELS + 3 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
      for (let i = 0; i < models.length; i += 6) {
        await Promise.all(
          models.slice(i, i + 6).map((model) => s.store.record(turn(s, { model, costUsd: 0.01 }))),
        );
      }
      expect(await s.raw.readModelSet(TENANT_A, 'tenant#day#2025-01-31')).toHaveLength(MAX_MODELS);
      for (const model of models) {
        expect(await s.raw.readCounter(TENANT_A, `model#${model}#day#2025-01-31`)).toMatchObject({
          turns: 1,
        });
      }
      const [today] = await s.store.daily(TENANT_A, 1);
      expect(today?.turns).toBe(MAX_MODELS + 3);
      expect(today?.models).toHaveLength(MAX_MODELS);
      expect(today?.models.reduce((sum, m) => sum + m.turns, 0)).toBe(MAX_MODELS);
      // A listed model's next turn is still added.
      const listed = today?.models[0]?.model as string;
      await s.store.record(turn(s, { model: listed, costUsd: 0.01 }));
      const [again] = await s.store.daily(TENANT_A, 1);
      expect(again?.models.find((m) => m.model === listed)?.turns).toBe(2);
    }, 60_000);

    it('refuses a bad number of days or a hostile tenant before reading', async () => {
      const s = subject();
      for (const days of [0, 91, 1.5, Number.NaN, -3]) {
        const err = await s.store.daily(TENANT_A, days).catch((e: unknown) => e);
        expect(err, String(days)).toBeInstanceOf(OmniError);
        expect((err as OmniError).status).toBe(400);
        expect((err as Error).message).toMatch(/days/);
      }
      await expect(s.store.daily('../acme' as TenantId, 7)).rejects.toBeInstanceOf(OmniError);
    });
  });
}
