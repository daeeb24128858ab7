import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newApprovalId } from '../../approvals/ids.js';
import type { ApprovalId } from '../../approvals/types.js';
import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../core/clock.js';
import { InvalidIdError } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { conversationKey } from '../../core/keys.js';
import type { ConformanceHarness } from '../conformance.js';
import { TENANT_A, TENANT_B, conversation, useSubject } from './fixtures.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;

const newSession = () => parseSessionId(randomUUID());

/** The conversation map: touch/refresh, expiry after 25 days (as absent), remove, list by tenant. */
export function conversationTests(harness: ConformanceHarness): void {
  describe('conversation map', () => {
    const subject = useSubject(harness);

    it('reads null for an unknown conversation', async () => {
      const s = subject();
      const key = conversation();
      expect(await s.storage.conversations.get(key)).toBeNull();
      expect(await s.raw.readConversation(key)).toBeNull();
    });

    it('touch creates a record expiring 25 days after now', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      const t0 = s.clock.now();
      const record = await s.storage.conversations.touch(key, sessionId);
      expect(record).toEqual({
        key,
        sessionId,
        createdAt: t0,
        updatedAt: t0,
        expiresAt: t0 + RETENTION_MS,
        turns: 1,
      });
      expect(await s.storage.conversations.get(key)).toEqual(record);
      expect(await s.raw.readConversation(key)).toEqual({
        sessionId,
        expiresAt: t0 + RETENTION_MS,
        turns: 1,
      });
    });

    it('touch refreshes: createdAt kept, updatedAt/expiresAt moved, turns incremented', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      const t0 = s.clock.now();
      await s.storage.conversations.touch(key, sessionId);
      const t1 = s.clock.advance(3 * DAY_MS + 17);
      await s.storage.conversations.touch(key, sessionId);
      const t2 = s.clock.advance(20 * DAY_MS);
      const record = await s.storage.conversations.touch(key, sessionId);
      expect(t1).toBeLessThan(t2);
      expect(record).toEqual({
        key,
        sessionId,
        createdAt: t0,
        updatedAt: t2,
        expiresAt: t2 + RETENTION_MS,
        turns: 3,
      });
      expect(await s.storage.conversations.get(key)).toEqual(record);
      expect(await s.raw.readConversation(key)).toEqual({
        sessionId,
        expiresAt: t2 + RETENTION_MS,
        turns: 3,
      });
    });

    it('touch with another session id replaces it', async () => {
      const s = subject();
      const key = conversation();
      await s.storage.conversations.touch(key, newSession());
      const next = newSession();
      const record = await s.storage.conversations.touch(key, next);
      expect(record.sessionId).toBe(next);
      expect((await s.storage.conversations.get(key))?.sessionId).toBe(next);
      expect((await s.raw.readConversation(key))?.sessionId).toBe(next);
    });

    it('an expired record reads as absent and a later touch starts it afresh', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      await s.storage.conversations.touch(key, sessionId);
      await s.storage.conversations.touch(key, sessionId);
      s.clock.advance(RETENTION_MS - 1);
      expect((await s.storage.conversations.get(key))?.turns).toBe(2);
      s.clock.advance(2);
      expect(await s.storage.conversations.get(key)).toBeNull();
      expect(await s.storage.conversations.list(TENANT_A)).toEqual([]);
      const raw = await s.raw.readConversation(key);
      if (raw !== null) expect(raw.expiresAt).toBeLessThan(s.clock.now());

      const t = s.clock.now();
      const fresh = await s.storage.conversations.touch(key, newSession());
      expect(fresh.createdAt).toBe(t);
      expect(fresh.turns).toBe(1);
      expect(fresh.expiresAt).toBe(t + RETENTION_MS);
    });

    it('remove forgets the mapping and returns what was removed', async () => {
      const s = subject();
      const key = conversation();
      const other = conversation();
      const record = await s.storage.conversations.touch(key, newSession());
      await s.storage.conversations.touch(other, newSession());
      expect(await s.storage.conversations.remove(key)).toEqual(record);
      expect(await s.storage.conversations.get(key)).toBeNull();
      expect(await s.raw.readConversation(key)).toBeNull();
      expect(await s.storage.conversations.remove(key)).toBeNull();
      expect(await s.storage.conversations.get(other)).not.toBeNull();
    });

    it('lists the live conversations of one tenant only', async () => {
      const s = subject();
      const a1 = conversationKey({ tenant: TENANT_A, chat: '-1001234567890', thread: 42 });
      const a2 = conversationKey({ tenant: TENANT_A, chat: '-1001234567890' });
      const old = conversation(TENANT_A, 'old-chat');
      const b1 = conversationKey({ tenant: TENANT_B, chat: '-1001234567890', thread: 42 });
      await s.storage.conversations.touch(old, newSession());
      s.clock.advance(10 * DAY_MS);
      for (const key of [a1, a2, b1]) await s.storage.conversations.touch(key, newSession());
      s.clock.advance(RETENTION_MS - 5 * DAY_MS);
      const listed = await s.storage.conversations.list(TENANT_A);
      const names = listed.map((r) => `${r.key.tenant}:${r.key.chat}:${r.key.thread}`).sort();
      expect(names).toEqual(['acme:-1001234567890:42', 'acme:-1001234567890:main']);
      for (const record of listed) expect(await s.storage.conversations.get(record.key)).toEqual(record);
      const listedB = await s.storage.conversations.list(TENANT_B);
      expect(listedB.map((r) => r.key)).toEqual([b1]);
    });

    it('touch sets the pending approval request, and every touch without one clears it', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      const first = newApprovalId();
      const record = await s.storage.conversations.touch(key, sessionId, { pendingApproval: first });
      expect(record.pendingApproval).toBe(first);
      expect(await s.storage.conversations.get(key)).toEqual(record);
      expect(await s.raw.readConversation(key)).toMatchObject({ sessionId, pendingApproval: first });
      expect((await s.storage.conversations.list(TENANT_A))[0]?.pendingApproval).toBe(first);

      const second = newApprovalId();
      s.clock.advance(1000);
      expect(
        (await s.storage.conversations.touch(key, sessionId, { pendingApproval: second })).pendingApproval,
      ).toBe(second);
      expect((await s.raw.readConversation(key))?.pendingApproval).toBe(second);

      s.clock.advance(1000);
      const cleared = await s.storage.conversations.touch(key, sessionId, {});
      expect(cleared).not.toHaveProperty('pendingApproval');
      expect(cleared.turns).toBe(3);
      expect(await s.storage.conversations.get(key)).not.toHaveProperty('pendingApproval');
      expect(await s.raw.readConversation(key)).not.toHaveProperty('pendingApproval');

      await s.storage.conversations.touch(key, sessionId, { pendingApproval: first });
      const plain = await s.storage.conversations.touch(key, sessionId);
      expect(plain).not.toHaveProperty('pendingApproval');
      expect(await s.raw.readConversation(key)).not.toHaveProperty('pendingApproval');

      // A fresh record after expiry carries the id given to the touch that creates it.
      s.clock.advance(RETENTION_MS);
      const fresh = await s.storage.conversations.touch(key, newSession(), { pendingApproval: second });
      expect(fresh.turns).toBe(1);
      expect(fresh.pendingApproval).toBe(second);
      expect((await s.raw.readConversation(key))?.pendingApproval).toBe(second);
    });

    it('touch refuses a malformed pending approval id and writes nothing', async () => {
      const s = subject();
      const key = conversation();
      for (const bad of ['../x', 'x'.repeat(300), 'abcdefghij\u0000klmnopqrstu']) {
        await expect(
          s.storage.conversations.touch(key, newSession(), { pendingApproval: bad as ApprovalId }),
        ).rejects.toBeInstanceOf(InvalidIdError);
      }
      expect(await s.storage.conversations.get(key)).toBeNull();
      expect(await s.raw.readConversation(key)).toBeNull();
    });

    it('keeps threads of one chat apart', async () => {
      const s = subject();
      const one = conversationKey({ tenant: TENANT_A, chat: 7, thread: 1 });
      const two = conversationKey({ tenant: TENANT_A, chat: 7, thread: 2 });
      const sOne = newSession();
      const sTwo = newSession();
      await s.storage.conversations.touch(one, sOne);
      await s.storage.conversations.touch(two, sTwo);
      expect((await s.storage.conversations.get(one))?.sessionId).toBe(sOne);
      expect((await s.storage.conversations.get(two))?.sessionId).toBe(sTwo);
      expect((await s.raw.readConversation(two))?.sessionId).toBe(sTwo);
    });
  });
}
