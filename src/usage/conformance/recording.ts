import { describe, expect, it } from 'vitest';
import { OmniError } from '../../core/errors.js';
import { parseChatId, parseThreadId, type TenantId } from '../../core/ids.js';
import type { UsageConformanceHarness } from '../conformance.js';
import type { UsageTurn } from '../types.js';
import { DEFAULT_RETENTION_MS, FEB_1, START, TENANT_A, conv, turn, useSubject } from './fixtures.js';

const ONE_TURN = {
  turns: 1,
  tokens: { input: 100, output: 20, cacheCreation: 5, cacheRead: 1000 },
  costUsd: 0.0123,
};

/** What every turn adds to its counters and where it is kept. */
export function recordingTests(harness: UsageConformanceHarness): void {
  describe('recording', () => {
    const subject = useSubject(harness);

    it('adds a turn to the tenant, conversation and user counters and keeps the raw turn', async () => {
      const s = subject();
      const t = turn(s);
      await s.store.record(t);

      for (const window of ['day', 'month', 'all'] as const) {
        expect(await s.store.summary({ tenant: TENANT_A }, window)).toEqual(ONE_TURN);
        expect(await s.store.summary({ tenant: TENANT_A, ...conv }, window)).toEqual(ONE_TURN);
        expect(await s.store.summary({ tenant: TENANT_A, userId: 42 }, window)).toEqual(ONE_TURN);
        expect(await s.store.summary({ tenant: TENANT_A, userId: '42' }, window)).toEqual(ONE_TURN);
      }

      const expected = (expiresAt: number) => ({
        turns: 1,
        inputTokens: 100,
        outputTokens: 20,
        cacheCreationTokens: 5,
        cacheReadTokens: 1000,
        costMicroUsd: 12_300,
        expiresAt,
      });
      for (const scope of ['tenant', 'conv#100:main', 'user#42']) {
        expect(await s.raw.readCounter(TENANT_A, `${scope}#day#2025-01-31`)).toEqual(
          expected(FEB_1 + DEFAULT_RETENTION_MS),
        );
        expect(await s.raw.readCounter(TENANT_A, `${scope}#month#2025-01`)).toEqual(
          // January ends when February starts: on the last day of a month both reset together.
          expected(FEB_1 + DEFAULT_RETENTION_MS),
        );
        expect(await s.raw.readCounter(TENANT_A, `${scope}#all`)).toEqual(
          expected(START + DEFAULT_RETENTION_MS),
        );
      }
      expect(await s.raw.listTurns(TENANT_A)).toEqual([
        {
          chat: '100',
          thread: 'main',
          userId: '42',
          sessionId: t.sessionId,
          model: 'claude-sonnet-4-5',
          inputTokens: 100,
          outputTokens: 20,
          cacheCreationTokens: 5,
          cacheReadTokens: 1000,
          costMicroUsd: 12_300,
          durationMs: 1500,
          at: START,
          expiresAt: START + DEFAULT_RETENTION_MS,
        },
      ]);
    });

    it('writes no user counters for a turn without a user, and stores a null model as empty', async () => {
      const s = subject();
      const t = turn(s, { model: null, sessionId: '' });
      delete t.userId;
      await s.store.record(t);
      const keys = await s.raw.listTenantKeys(TENANT_A);
      expect(keys.filter((k) => k.includes('user#'))).toEqual([]);
      expect(await s.raw.listTurns(TENANT_A)).toMatchObject([{ userId: null, model: '', sessionId: '' }]);
      expect(await s.store.summary({ tenant: TENANT_A }, 'all')).toEqual(ONE_TURN);
    });

    it('gives zero totals for scopes without usage', async () => {
      const s = subject();
      const zero = { turns: 0, tokens: { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 }, costUsd: 0 };
      expect(await s.store.summary({ tenant: TENANT_A }, 'all')).toEqual(zero);
      await s.store.record(turn(s));
      expect(await s.store.summary({ tenant: TENANT_A, userId: 43 }, 'day')).toEqual(zero);
      expect(
        await s.store.summary(
          { tenant: TENANT_A, chat: parseChatId(100), thread: parseThreadId('7') },
          'month',
        ),
      ).toEqual(zero);
    });

    it('keeps exact totals under 50 concurrent records from two workers', async () => {
      const s = subject();
      const other = await s.reopen();
      const turns = Array.from({ length: 50 }, (_, i) =>
        turn(s, {
          userId: i % 2 === 0 ? 42 : 43,
          costUsd: (i + 1) * 0.000_137,
          tokens: { input: i, output: 2 * i, cacheCreation: 1, cacheRead: 3 },
        }),
      );
      await Promise.all(turns.map((t, i) => (i % 2 === 0 ? s.store : other).record(t)));

      const microTotal = turns.reduce((sum, t) => sum + Math.round(t.costUsd * 1_000_000), 0);
      const sumOf = (ts: UsageTurn[], f: (t: UsageTurn) => number) => ts.reduce((a, t) => a + f(t), 0);
      const expected = (ts: UsageTurn[]) => ({
        turns: ts.length,
        tokens: {
          input: sumOf(ts, (t) => t.tokens.input),
          output: sumOf(ts, (t) => t.tokens.output),
          cacheCreation: ts.length,
          cacheRead: 3 * ts.length,
        },
        costUsd: sumOf(ts, (t) => Math.round(t.costUsd * 1_000_000)) / 1_000_000,
      });
      for (const store of [s.store, other]) {
        expect(await store.summary({ tenant: TENANT_A }, 'day')).toEqual(expected(turns));
        expect(await store.summary({ tenant: TENANT_A, ...conv }, 'all')).toEqual(expected(turns));
        expect(await store.summary({ tenant: TENANT_A, userId: 42 }, 'month')).toEqual(
          expected(turns.filter((t) => t.userId === 42)),
        );
      }
      expect(await s.raw.readCounter(TENANT_A, 'tenant#month#2025-01')).toMatchObject({
        turns: 50,
        costMicroUsd: microTotal,
      });
      expect(await s.raw.listTurns(TENANT_A)).toHaveLength(50);
      await other.close();
    });

    it("sums a tenant's and a user's turns over many conversations", async () => {
      const s = subject();
      // 48 conversations (two threads per chat), 2 turns each, alternating users: a backend that
      // spreads a tenant's items (DynamoDB's usage shards) must still add every turn once.
      const turns = Array.from({ length: 96 }, (_, i) =>
        turn(s, {
          chat: parseChatId(-1_000_000_000_000 - (i % 24)),
          thread: parseThreadId(i % 48 < 24 ? 'main' : 7),
          userId: i % 3 === 0 ? 43 : 42,
          costUsd: (i + 1) * 0.001,
          tokens: { input: i, output: 1, cacheCreation: 0, cacheRead: 2 * i },
        }),
      );
      for (let i = 0; i < turns.length; i += 16) {
        await Promise.all(turns.slice(i, i + 16).map((t) => s.store.record(t)));
      }
      const expected = (ts: UsageTurn[]) => ({
        turns: ts.length,
        tokens: {
          input: ts.reduce((a, t) => a + t.tokens.input, 0),
          output: ts.length,
          cacheCreation: 0,
          cacheRead: ts.reduce((a, t) => a + t.tokens.cacheRead, 0),
        },
        costUsd: ts.reduce((a, t) => a + Math.round(t.costUsd * 1_000_000), 0) / 1_000_000,
      });
      for (const window of ['day', 'month', 'all'] as const) {
        expect(await s.store.summary({ tenant: TENANT_A }, window)).toEqual(expected(turns));
        for (const userId of [42, 43]) {
          expect(await s.store.summary({ tenant: TENANT_A, userId }, window)).toEqual(
            expected(turns.filter((t) => t.userId === userId)),
          );
        }
      }
      const one = turns[5] as UsageTurn;
      expect(
        await s.store.summary({ tenant: TENANT_A, chat: one.chat, thread: one.thread }, 'month'),
      ).toEqual(expected(turns.filter((t) => t.chat === one.chat && t.thread === one.thread)));
      expect(await s.raw.readCounter(TENANT_A, 'tenant#all')).toMatchObject({
        turns: 96,
        costMicroUsd: 4_656_000,
      });
      expect(await s.raw.listTurns(TENANT_A)).toHaveLength(96);
      const limit = { tenant: { dayUsd: 4.656 } };
      expect((await s.store.checkBudget({ tenant: TENANT_A }, limit)).allowed).toBe(false);
      expect(await s.store.checkBudget({ tenant: TENANT_A }, { tenant: { dayUsd: 4.657 } })).toEqual({
        allowed: true,
      });
    });

    it('keeps counters across a restart', async () => {
      const s = subject();
      await s.store.record(turn(s));
      await s.store.close();
      const again = await s.reopen();
      expect(await again.summary({ tenant: TENANT_A }, 'all')).toEqual(ONE_TURN);
      await again.record(turn(s));
      expect((await again.summary({ tenant: TENANT_A, userId: 42 }, 'day')).turns).toBe(2);
      await again.close();
    });

    it('rejects malformed turns and scopes before writing anything', async () => {
      const s = subject();
      const bad: Array<Partial<UsageTurn>> = [
        { userId: '../x' },
        { userId: 'a#b' },
        { userId: '42:main' },
        { userId: 'x'.repeat(65) },
        { tenant: 'ACME' as TenantId },
        { tenant: '../acme' as TenantId },
        { chat: 'a/b' as UsageTurn['chat'] },
        { thread: 'a#b' as UsageTurn['thread'] },
        { costUsd: -1 },
        { costUsd: Number.NaN },
        { tokens: { input: -1, output: 0, cacheCreation: 0, cacheRead: 0 } },
        { tokens: { input: 1.5, output: 0, cacheCreation: 0, cacheRead: 0 } },
        { at: Number.NaN },
        { model: 'm'.repeat(1000) },
      ];
      for (const overrides of bad) {
        const err = await s.store.record(turn(s, overrides)).catch((e: unknown) => e);
        expect(err, JSON.stringify(overrides).slice(0, 80)).toBeInstanceOf(OmniError);
        expect((err as OmniError).status).toBe(400);
      }
      expect(await s.raw.listTenantKeys(TENANT_A)).toEqual([]);
      await expect(s.store.summary({ tenant: TENANT_A, userId: '../x' }, 'all')).rejects.toBeInstanceOf(
        OmniError,
      );
      await expect(s.store.summary({ tenant: 'a/b' as TenantId }, 'all')).rejects.toBeInstanceOf(OmniError);
    });
  });
}
