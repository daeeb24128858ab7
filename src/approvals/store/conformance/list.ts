import { describe, expect, it } from 'vitest';
import { parseRequestId, parseTenantId } from '../../../core/ids.js';
import type { ApprovalRecord } from '../../types.js';
import type { ApprovalHarness } from '../conformance.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../record.js';
import { TENANT_A, TENANT_B, chatKey, pendingRecord, useApprovalSubject } from './fixtures.js';

const ids = (records: ApprovalRecord[]) => records.map((r) => r.id);

/** `list` / `listTenant`: a conversation's or a tenant's requests, newest first, pending and resolved (the audit trail). */
export function listTests(harness: ApprovalHarness): void {
  describe('list', () => {
    const subject = useApprovalSubject(harness);

    it('lists one conversation’s requests newest first, with their current status', async () => {
      const s = subject();
      const key = chatKey(TENANT_A, 'ops', 7);
      const t0 = s.clock.now();
      // Created out of order: the order comes from createdAt, not from the writes.
      const records = [3, 1, 4, 0, 2].map((i) => pendingRecord(key, t0 + i * 1000));
      for (const record of records) await s.store.create(record);
      await s.store.create(pendingRecord(chatKey(TENANT_A, 'ops', 8), t0 + 9000));
      await s.store.create(pendingRecord(chatKey(TENANT_A, 'ops'), t0 + 9000));
      await s.store.create(pendingRecord(chatKey(TENANT_B, 'ops', 7), t0 + 9000));
      const third = records[0] as ApprovalRecord;
      await s.store.resolve(TENANT_A, third.id, {
        status: 'deny',
        at: t0 + 5000,
        by: '1',
        requestId: parseRequestId('tg:9'),
      });

      const newest = [...records].sort((a, b) => b.createdAt - a.createdAt);
      const listed = await s.store.list(key);
      expect(ids(listed)).toEqual(ids(newest));
      expect(listed.find((r) => r.id === third.id)?.status).toBe('deny');
      expect(ids(await s.store.list(key, { limit: 2 }))).toEqual(ids(newest.slice(0, 2)));
      expect(ids(await s.store.list(key, { limit: 0 }))).toEqual(ids(newest.slice(0, 1)));
      expect(await s.store.list(chatKey())).toEqual([]);
    });

    it('orders requests created in the same millisecond by id, descending', async () => {
      const s = subject();
      const key = chatKey();
      const records = Array.from({ length: 4 }, () => pendingRecord(key, s.clock.now()));
      for (const record of records) await s.store.create(record);
      const want = [...records].sort((a, b) => (a.id < b.id ? 1 : -1));
      expect(ids(await s.store.list(key))).toEqual(ids(want));
    });

    it('lists a tenant’s requests of every conversation newest first, never another tenant’s', async () => {
      const s = subject();
      const t0 = s.clock.now();
      const keys = [chatKey(TENANT_A, 'ops', 7), chatKey(TENANT_A, 'ops'), chatKey(TENANT_A, -100123)];
      // Interleaved over three conversations, written out of order.
      const records = [5, 0, 3, 1, 4, 2].map((i) =>
        pendingRecord(keys[i % 3] as ApprovalRecord['key'], t0 + i * 1000),
      );
      for (const record of records) await s.store.create(record);
      await s.store.create(pendingRecord(chatKey(TENANT_B, 'ops', 7), t0 + 9000));
      const first = records[1] as ApprovalRecord;
      await s.store.resolve(TENANT_A, first.id, { status: 'allow_once', at: t0 + 7000, by: 'console' });

      const newest = [...records].sort((a, b) => b.createdAt - a.createdAt);
      const listed = await s.store.listTenant(TENANT_A);
      expect(ids(listed)).toEqual(ids(newest));
      expect(listed.find((r) => r.id === first.id)).toMatchObject({
        status: 'allow_once',
        resolvedBy: 'console',
      });
      expect(listed.map((r) => r.key.chat)).toEqual(expect.arrayContaining(['ops', '-100123']));
      expect(ids(await s.store.listTenant(TENANT_A, { limit: 2 }))).toEqual(ids(newest.slice(0, 2)));
      expect(await s.store.listTenant(TENANT_B)).toHaveLength(1);
      expect(await s.store.listTenant(parseTenantId('initech'))).toEqual([]);
      // Gone with the retention, like `get` and `list`.
      s.clock.set(Math.max(...records.map((r) => r.expiresAt)) + 401 * 24 * 3600 * 1000);
      expect(await s.store.listTenant(TENANT_A)).toEqual([]);
    });

    it('refuses a hostile tenant id before reading', async () => {
      const s = subject();
      for (const tenant of ['../acme', 'ACME', 'a#b', '']) {
        await expect(s.store.listTenant(tenant as ApprovalRecord['key']['tenant'])).rejects.toThrow(/tenant/);
      }
    });

    it(`returns ${DEFAULT_LIST_LIMIT} by default and never more than ${MAX_LIST_LIMIT}`, async () => {
      const s = subject();
      const key = chatKey();
      const t0 = s.clock.now();
      const records = Array.from({ length: MAX_LIST_LIMIT + 5 }, (_, i) => pendingRecord(key, t0 + i));
      for (let i = 0; i < records.length; i += 25)
        await Promise.all(records.slice(i, i + 25).map((r) => s.store.create(r)));
      const newest = ids([...records].reverse());
      expect(ids(await s.store.list(key))).toEqual(newest.slice(0, DEFAULT_LIST_LIMIT));
      expect(ids(await s.store.list(key, { limit: 10_000 }))).toEqual(newest.slice(0, MAX_LIST_LIMIT));
      expect(ids(await s.store.listTenant(TENANT_A))).toEqual(newest.slice(0, DEFAULT_LIST_LIMIT));
      expect(ids(await s.store.listTenant(TENANT_A, { limit: 10_000 }))).toEqual(
        newest.slice(0, MAX_LIST_LIMIT),
      );
    }, 60_000);
  });
}
