import { describe, expect, it } from 'vitest';
import { parseRequestId } from '../../../core/ids.js';
import { InvalidApprovalError } from '../../errors.js';
import type { ApprovalResolution } from '../../types.js';
import type { ApprovalHarness } from '../conformance.js';
import { TENANT_A, chatKey, pendingRecord, useApprovalSubject } from './fixtures.js';

/** `resolve`: at most once, race-safe, a re-delivered work item is answered with the stored record. */
export function resolveTests(harness: ApprovalHarness): void {
  describe('resolve', () => {
    const subject = useApprovalSubject(harness);

    it('resolves a pending request once and stores who, when and by which work item', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const at = s.clock.advance(60_000);
      const requestId = parseRequestId('tg:1001');
      const outcome = await s.store.resolve(TENANT_A, record.id, {
        status: 'allow_once',
        at,
        by: '4242',
        requestId,
      });
      const resolved = {
        ...record,
        status: 'allow_once',
        resolvedAt: at,
        resolvedBy: '4242',
        resolvedByRequest: requestId,
      };
      expect(outcome).toEqual({ ok: true, record: resolved });
      expect(await s.store.get(TENANT_A, record.id)).toEqual(resolved);
      expect(await s.raw.readApproval(TENANT_A, record.id)).toMatchObject({
        status: 'allow_once',
        resolvedAt: at,
        resolvedBy: '4242',
        resolvedByRequest: 'tg:1001',
      });

      const later = await s.store.resolve(TENANT_A, record.id, {
        status: 'deny',
        at: at + 1,
        by: '99',
        requestId: parseRequestId('tg:1002'),
      });
      expect(later).toEqual({ ok: false, record: resolved });
      expect((await s.raw.readApproval(TENANT_A, record.id))?.status).toBe('allow_once');
    });

    it('answers a repeat with the same requestId with the stored record (re-delivery)', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const requestId = parseRequestId('api:decision-7');
      const first = await s.store.resolve(TENANT_A, record.id, {
        status: 'deny',
        at: 10,
        by: 'alice',
        requestId,
      });
      expect(first.ok).toBe(true);
      const repeat = await s.store.resolve(TENANT_A, record.id, {
        status: 'allow_once',
        at: 20,
        by: 'bob',
        requestId,
      });
      expect(repeat).toEqual({ ok: true, record: first.record });
      expect((await s.raw.readApproval(TENANT_A, record.id))?.resolvedAt).toBe(10);
    });

    it('does not treat a repeat without a requestId as the same work item', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      expect((await s.store.resolve(TENANT_A, record.id, { status: 'expired', at: 5 })).ok).toBe(true);
      const again = await s.store.resolve(TENANT_A, record.id, { status: 'expired', at: 6 });
      expect(again.ok).toBe(false);
      expect(again.record?.status).toBe('expired');
      expect(again.record?.resolvedBy).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent resolves win', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const statuses: ApprovalResolution[] = [
        'allow_once',
        'allow_conversation',
        'deny',
        'superseded',
        'cancelled',
      ];
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.store.resolve(TENANT_A, record.id, {
            status: statuses[i % statuses.length] as ApprovalResolution,
            at: 1000 + i,
            by: `user-${i}`,
            requestId: parseRequestId(`tg:${i}`),
          }),
        ),
      );
      const winners = outcomes.filter((o) => o.ok);
      expect(winners).toHaveLength(1);
      const won = winners[0]?.record;
      for (const o of outcomes) expect(o.record).toEqual(won);
      expect(await s.store.get(TENANT_A, record.id)).toEqual(won);
      const raw = await s.raw.readApproval(TENANT_A, record.id);
      expect(raw?.status).toBe(won?.status);
      expect(raw?.resolvedByRequest).toBe(won?.resolvedByRequest);
    });

    it('answers an unknown id with { ok: false, record: null } and writes nothing', async () => {
      const s = subject();
      const unknown = pendingRecord(chatKey(), s.clock.now());
      expect(
        await s.store.resolve(TENANT_A, unknown.id, {
          status: 'deny',
          at: 1,
          requestId: parseRequestId('tg:1'),
        }),
      ).toEqual({
        ok: false,
        record: null,
      });
      expect(await s.raw.listKeys()).toEqual([]);
    });

    it('refuses a malformed resolution before touching the record', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const bad = [
        { status: 'pending' as never, at: 1 },
        { status: 'maybe' as never, at: 1 },
        { status: 'deny' as const, at: -1 },
        { status: 'deny' as const, at: 1, by: 'x'.repeat(300) },
      ];
      for (const resolution of bad)
        await expect(s.store.resolve(TENANT_A, record.id, resolution)).rejects.toBeInstanceOf(
          InvalidApprovalError,
        );
      await expect(
        s.store.resolve(TENANT_A, record.id, { status: 'deny', at: 1, requestId: '../x' as never }),
      ).rejects.toThrow(/request id/);
      expect((await s.raw.readApproval(TENANT_A, record.id))?.status).toBe('pending');
    });
  });
}
