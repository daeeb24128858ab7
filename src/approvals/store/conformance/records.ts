import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../core/clock.js';
import { parseRequestId } from '../../../core/ids.js';
import { ApprovalExistsError, InvalidApprovalError } from '../../errors.js';
import type { ApprovalHarness } from '../conformance.js';
import { MAX_INPUT_BYTES, MAX_SUMMARY_CHARS } from '../record.js';
import {
  MINUTE,
  TENANT_A,
  TENANT_B,
  chatKey,
  keyString,
  pendingRecord,
  useApprovalSubject,
} from './fixtures.js';

/** Create/get, identical retries, notices, sizes, tenant isolation and retention. */
export function recordTests(harness: ApprovalHarness): void {
  describe('records', () => {
    const subject = useApprovalSubject(harness, { retentionDays: 30 });

    it('round-trips a record through create and get, and stores it as given', async () => {
      const s = subject();
      const key = chatKey(TENANT_A, -1001234567890, 42);
      const record = pendingRecord(key, s.clock.now(), { notice: { chatId: -1001234567890, messageId: 77 } });
      await s.store.create(record);
      expect(await s.store.get(TENANT_A, record.id)).toEqual(record);
      expect(await s.raw.readApproval(TENANT_A, record.id)).toMatchObject({
        conversation: keyString(key),
        status: 'pending',
        input: record.input,
        summary: record.summary,
        createdAt: record.createdAt,
        expiresAt: record.expiresAt,
        notice: { chatId: -1001234567890, messageId: 77 },
      });
    });

    it('keeps optional fields absent when not given', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      delete record.requestedBy;
      await s.store.create(record);
      const stored = await s.store.get(TENANT_A, record.id);
      expect(stored).toEqual(record);
      expect(Object.keys(stored ?? {}).sort()).toEqual(Object.keys(record).sort());
    });

    it('does not alias the caller’s object', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const copy = structuredClone(record);
      record.summary = 'changed after create';
      expect(await s.store.get(TENANT_A, record.id)).toEqual(copy);
    });

    it('refuses an existing id with other content and keeps what was stored', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      const other = { ...record, summary: 'rm -rf /', input: '{"command":"rm -rf /"}' };
      const err = await s.store.create(other).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApprovalExistsError);
      expect((err as ApprovalExistsError).code).toBe('approval_exists');
      expect(await s.store.get(TENANT_A, record.id)).toEqual(record);
      expect((await s.raw.readApproval(TENANT_A, record.id))?.summary).toBe(record.summary);
    });

    it('accepts a retry of the identical record (a lost response), also after it was noticed and resolved', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      await s.store.create(structuredClone(record));
      await s.store.setNotice(TENANT_A, record.id, { chatId: 1, messageId: 2 });
      await s.store.resolve(TENANT_A, record.id, { status: 'deny', at: s.clock.now(), by: '7' });
      await s.store.create(structuredClone(record));
      const stored = await s.store.get(TENANT_A, record.id);
      expect(stored?.status).toBe('deny');
      expect(stored?.notice).toEqual({ chatId: 1, messageId: 2 });
      expect(await s.store.list(record.key)).toHaveLength(1);
    });

    it('lets concurrent creates of one id agree: identical ones all succeed, of different ones exactly one', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await Promise.all(Array.from({ length: 5 }, () => s.store.create(structuredClone(record))));
      expect(await s.store.get(TENANT_A, record.id)).toEqual(record);
      expect(await s.store.list(record.key)).toEqual([record]);

      const contested = pendingRecord(chatKey(), s.clock.now());
      const variants = Array.from({ length: 5 }, (_, i) => ({ ...contested, summary: `variant ${i}` }));
      const results = await Promise.allSettled(variants.map((v) => s.store.create(v)));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [variants[i]] : []));
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ApprovalExistsError);
      expect(await s.store.get(TENANT_A, contested.id)).toEqual(won[0]);
      expect((await s.raw.readApproval(TENANT_A, contested.id))?.summary).toBe(won[0]?.summary);
    });

    it('refuses a new record that is not pending or carries a resolution', async () => {
      const s = subject();
      const key = chatKey();
      const now = s.clock.now();
      await expect(s.store.create(pendingRecord(key, now, { status: 'allow_once' }))).rejects.toBeInstanceOf(
        InvalidApprovalError,
      );
      await expect(s.store.create(pendingRecord(key, now, { resolvedAt: now }))).rejects.toBeInstanceOf(
        InvalidApprovalError,
      );
      await expect(s.store.create(pendingRecord(key, now, { expiresAt: now - 1 }))).rejects.toBeInstanceOf(
        InvalidApprovalError,
      );
      expect(await s.raw.listKeys()).toEqual([]);
    });

    it('bounds the input (16 KiB of UTF-8) and the summary (2000 characters)', async () => {
      const s = subject();
      const key = chatKey();
      const now = s.clock.now();
      const atLimit = pendingRecord(key, now, {
        input: 'x'.repeat(MAX_INPUT_BYTES),
        summary: 's'.repeat(MAX_SUMMARY_CHARS),
      });
      await s.store.create(atLimit);
      expect((await s.store.get(TENANT_A, atLimit.id))?.input).toHaveLength(MAX_INPUT_BYTES);
      expect((await s.raw.readApproval(TENANT_A, atLimit.id))?.input).toHaveLength(MAX_INPUT_BYTES);

      const before = await s.raw.listKeys();
      const tooLong = [
        pendingRecord(key, now, { input: 'x'.repeat(MAX_INPUT_BYTES + 1) }),
        // 5462 × 3 bytes = 16,386 bytes in 5462 characters: the bound is bytes, not characters.
        pendingRecord(key, now, { input: '€'.repeat(5462) }),
        pendingRecord(key, now, { summary: 's'.repeat(MAX_SUMMARY_CHARS + 1) }),
        pendingRecord(key, now, { grantRule: 'r'.repeat(1001) }),
        pendingRecord(key, now, { tool: 't'.repeat(257) }),
      ];
      for (const record of tooLong) {
        const err = await s.store.create(record).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidApprovalError);
        expect((err as Error).message).toMatch(/^\[approvals\] .*(bytes|characters)/);
      }
      expect((await s.raw.listKeys()).sort()).toEqual(before.sort());
    });

    it('stores a notice, and ignores one for an unknown id', async () => {
      const s = subject();
      const record = pendingRecord(chatKey(), s.clock.now());
      await s.store.create(record);
      await s.store.setNotice(TENANT_A, record.id, { chatId: -100987, messageId: 5 });
      await s.store.setNotice(TENANT_A, record.id, { chatId: -100987, messageId: 6 });
      expect((await s.store.get(TENANT_A, record.id))?.notice).toEqual({ chatId: -100987, messageId: 6 });
      expect((await s.raw.readApproval(TENANT_A, record.id))?.notice).toEqual({
        chatId: -100987,
        messageId: 6,
      });

      const before = await s.raw.listKeys();
      const unknown = pendingRecord(chatKey(), s.clock.now());
      await s.store.setNotice(TENANT_A, unknown.id, { chatId: 1, messageId: 1 });
      expect(await s.store.get(TENANT_A, unknown.id)).toBeNull();
      expect((await s.raw.listKeys()).sort()).toEqual(before.sort());
      await expect(
        s.store.setNotice(TENANT_A, record.id, { chatId: 1.5, messageId: 1 }),
      ).rejects.toBeInstanceOf(InvalidApprovalError);
    });

    it('keeps tenants apart: nothing of tenant A is reachable with tenant B’s keys', async () => {
      const s = subject();
      const keyA = chatKey(TENANT_A, 'shared-chat');
      const keyB = chatKey(TENANT_B, 'shared-chat');
      const record = pendingRecord(keyA, s.clock.now());
      await s.store.create(record);
      await s.store.grant(keyA, record.sessionId, 'Bash(ls *)');

      expect(await s.store.get(TENANT_B, record.id)).toBeNull();
      expect(
        await s.store.resolve(TENANT_B, record.id, {
          status: 'allow_once',
          at: 1,
          requestId: parseRequestId('tg:1'),
        }),
      ).toEqual({
        ok: false,
        record: null,
      });
      await s.store.setNotice(TENANT_B, record.id, { chatId: 1, messageId: 1 });
      expect(await s.store.list(keyB)).toEqual([]);
      expect(await s.store.grants(keyB, record.sessionId)).toEqual([]);
      expect(await s.raw.readApproval(TENANT_B, record.id)).toBeNull();

      const stored = await s.store.get(TENANT_A, record.id);
      expect(stored).toEqual(record);
      // The same id under tenant B is another request altogether.
      const theirs = { ...pendingRecord(keyB, s.clock.now()), id: record.id };
      await s.store.create(theirs);
      expect(await s.store.get(TENANT_B, record.id)).toEqual(theirs);
      expect(await s.store.get(TENANT_A, record.id)).toEqual(record);
    });

    it('keeps a record until expiresAt + retention, then reads it as absent everywhere', async () => {
      const s = subject();
      const key = chatKey();
      const record = pendingRecord(key, s.clock.now());
      await s.store.create(record);
      const until = record.expiresAt + 30 * DAY_MS;
      const raw = await s.raw.readApproval(TENANT_A, record.id);
      expect(raw?.keepUntil).toBeGreaterThanOrEqual(until);
      expect(raw?.keepUntil).toBeLessThan(until + 1000);

      s.clock.set(record.expiresAt + MINUTE);
      // Past its deadline but kept: callers resolve it as expired.
      expect((await s.store.get(TENANT_A, record.id))?.status).toBe('pending');
      s.clock.set(until - 1);
      expect(await s.store.list(key)).toHaveLength(1);

      s.clock.set(until);
      expect(await s.store.get(TENANT_A, record.id)).toBeNull();
      expect(await s.store.list(key)).toEqual([]);
      expect(await s.store.resolve(TENANT_A, record.id, { status: 'expired', at: until })).toEqual({
        ok: false,
        record: null,
      });
      await s.store.setNotice(TENANT_A, record.id, { chatId: 1, messageId: 1 });
      expect(await s.store.get(TENANT_A, record.id)).toBeNull();
      // The id may be used again once the old record is gone.
      const again = { ...pendingRecord(key, s.clock.now()), id: record.id };
      await s.store.create(again);
      expect(await s.store.get(TENANT_A, record.id)).toEqual(again);
      expect(await s.store.list(key)).toEqual([again]);
    });
  });
}
