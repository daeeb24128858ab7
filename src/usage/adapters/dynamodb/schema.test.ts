import { describe, expect, it } from 'vitest';
import { isTenantId, parseChatId, parseTenantId, parseThreadId } from '../../../core/ids.js';
import { OmniError } from '../../../core/errors.js';
import { DEFAULT_USAGE_SHARDS, MAX_USAGE_SHARDS, readPks, shardOf, shardPk, usageShards } from './schema.js';

describe('usage shard keys', () => {
  it('spreads 8,000 turns of one tenant over many conversations within ±20 % on each of 8 shards', () => {
    // 2,000 conversations of 4 turns: Telegram supergroup ids with forum topics, private chats
    // (positive user ids, no topic) and API slugs, as a big tenant would have them.
    const perShard = new Array<number>(DEFAULT_USAGE_SHARDS).fill(0);
    for (let c = 0; c < 2000; c++) {
      const kind = c % 4;
      const chat = parseChatId(
        kind === 0 ? 5_000_000 + c * 7919 : kind === 1 ? `ops-${c}` : -1_001_234_500_000 - Math.floor(c / 4),
      );
      const thread = parseThreadId(kind >= 2 ? (c % 37) + 2 : undefined);
      const shard = shardOf(chat, thread, DEFAULT_USAGE_SHARDS);
      perShard[shard] = (perShard[shard] ?? 0) + 4;
    }
    expect(perShard.reduce((a, n) => a + n, 0)).toBe(8000);
    for (const n of perShard) {
      expect(n).toBeGreaterThanOrEqual(800);
      expect(n).toBeLessThanOrEqual(1200);
    }
  });

  it('is stable: a conversation keeps its shard across processes and releases', () => {
    // Pinned values: changing the hash would move conversations to other shards. Reads sum every
    // shard, so totals would survive, but the write spread is what the capacity plan assumes.
    const at = (chat: string | number, thread: string | number | undefined, shards: number) =>
      shardOf(parseChatId(chat), parseThreadId(thread), shards);
    expect([at(100, undefined, 8), at('100', 'main', 24), at(100, 'main', 3)]).toEqual([6, 14, 2]);
    expect([at(-1001234567890, 42, 8), at('-1001234567890', '42', 24)]).toEqual([2, 10]);
    expect([at(7, 'main', 8), at('ops-1', 'main', 8), at('ops-1', 'main', 1)]).toEqual([3, 7, 0]);
  });

  it("keys every shard under the tenant's own id, which no other tenant can spell ('#' is not allowed)", () => {
    for (const id of ['acme#u0', 'acme#', '#u0', 'a#b', 'acme#u1#u2']) {
      expect(isTenantId(id)).toBe(false);
      expect(() => parseTenantId(id)).toThrow(OmniError);
    }
    const tenants = ['acme', 'acme-u0', 'acmeu0', 'u0', 'a', 'acme-2'].map((t) => parseTenantId(t));
    const all = tenants.flatMap((t) => readPks(t, MAX_USAGE_SHARDS));
    // No two tenants share a key, no shard key is a tenant id, and the tenant is the text before '#'.
    expect(new Set(all).size).toBe(all.length);
    for (const t of tenants) {
      for (let k = 0; k < MAX_USAGE_SHARDS; k++) {
        const pk = shardPk(t, k);
        expect(pk).toBe(`${t}#u${k}`);
        expect(isTenantId(pk)).toBe(false);
        expect(pk.split('#')[0]).toBe(t);
      }
    }
    expect(readPks(parseTenantId('acme'), 2)).toEqual(['acme#u0', 'acme#u1', 'acme']);
  });

  it('takes 1–24 shards, 8 by default', () => {
    expect(usageShards(undefined)).toBe(8);
    expect(usageShards(1)).toBe(1);
    expect(usageShards(24)).toBe(24);
    for (const bad of [0, 25, 1.5, -1, Number.NaN]) expect(() => usageShards(bad)).toThrow(/1–24/);
  });
});
