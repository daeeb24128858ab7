import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../../core/errors.js';
import type { ConversationKey } from '../../../core/keys.js';
import type { ApprovalId } from '../../types.js';
import type { ApprovalHarness } from '../conformance.js';
import { TENANT_A, chatKey, newSession, pendingRecord, useApprovalSubject } from './fixtures.js';

const HOSTILE = [
  '../x',
  'x'.repeat(300),
  'abcdefghij\u0000klmnopqrstu',
  'abcdefghijk/mnopqrstuv',
  '',
  '#'.repeat(22),
];

/** Hostile ids and keys are refused before any read or write, and nothing is written. */
export function hostileTests(harness: ApprovalHarness): void {
  describe('hostile ids', () => {
    const subject = useApprovalSubject(harness);

    it.each(HOSTILE.map((v) => [JSON.stringify(v).slice(0, 30), v]))(
      'refuses approval id %s everywhere',
      async (_, bad) => {
        const s = subject();
        const id = bad as ApprovalId;
        await expect(s.store.get(TENANT_A, id)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.store.resolve(TENANT_A, id, { status: 'deny', at: 1 })).rejects.toBeInstanceOf(
          InvalidIdError,
        );
        await expect(s.store.setNotice(TENANT_A, id, { chatId: 1, messageId: 1 })).rejects.toBeInstanceOf(
          InvalidIdError,
        );
        await expect(
          s.store.create({ ...pendingRecord(chatKey(), s.clock.now()), id }),
        ).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.raw.listKeys()).toEqual([]);
      },
    );

    it.each(HOSTILE.map((v) => [JSON.stringify(v).slice(0, 30), v]))(
      'refuses tenant, chat, thread and session %s',
      async (_, bad) => {
        const s = subject();
        const good = pendingRecord(chatKey(), s.clock.now());
        const keys = [
          { tenant: bad, chat: 'c', thread: 'main' },
          { tenant: TENANT_A, chat: bad, thread: 'main' },
          { tenant: TENANT_A, chat: 'c', thread: bad === '' ? '../x' : bad },
        ] as unknown as ConversationKey[];
        await expect(s.store.get(bad as never, good.id)).rejects.toBeInstanceOf(InvalidIdError);
        await expect(
          s.store.resolve(bad as never, good.id, { status: 'deny', at: 1 }),
        ).rejects.toBeInstanceOf(InvalidIdError);
        await expect(
          s.store.setNotice(bad as never, good.id, { chatId: 1, messageId: 1 }),
        ).rejects.toBeInstanceOf(InvalidIdError);
        for (const key of keys) {
          await expect(s.store.create({ ...good, key })).rejects.toBeInstanceOf(InvalidIdError);
          await expect(s.store.list(key)).rejects.toBeInstanceOf(InvalidIdError);
          await expect(s.store.grant(key, newSession(), 'Read')).rejects.toBeInstanceOf(InvalidIdError);
          await expect(s.store.grants(key, newSession())).rejects.toBeInstanceOf(InvalidIdError);
        }
        await expect(s.store.create({ ...good, sessionId: bad as never })).rejects.toBeInstanceOf(
          InvalidIdError,
        );
        await expect(s.store.grant(good.key, bad as never, 'Read')).rejects.toBeInstanceOf(InvalidIdError);
        await expect(s.store.grants(good.key, bad as never)).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.raw.listKeys()).toEqual([]);
      },
    );
  });
}
