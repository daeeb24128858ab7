import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DAY_MS, TURN_LEDGER_RETENTION_DAYS } from '../../core/clock.js';
import { InvalidIdError } from '../../core/errors.js';
import { parseRequestId, parseSessionId, type RequestId } from '../../core/ids.js';
import { conversationKey } from '../../core/keys.js';
import type { ConformanceHarness, ConformanceSubject } from '../conformance.js';
import { TENANT_A, TENANT_B, attempt, conversation, useSubject } from './fixtures.js';

const RETENTION_MS = TURN_LEDGER_RETENTION_DAYS * DAY_MS;
const newSession = () => parseSessionId(randomUUID());
const newRequest = (): RequestId => parseRequestId(`tg:${Math.floor(Math.random() * 1e9)}`);

/** The raw row, when the backend exposes one (`RawBackend.readTurn`); `undefined` otherwise. */
async function raw(
  s: ConformanceSubject,
  ...args: Parameters<NonNullable<ConformanceSubject['raw']['readTurn']>>
) {
  return s.raw.readTurn ? s.raw.readTurn(...args) : undefined;
}

/** The turn ledger: begin/complete/markDelivered, replacement, expiry after 7 days, isolation, hostile ids. */
export function turnLedgerTests(harness: ConformanceHarness): void {
  describe('turn ledger', () => {
    const subject = useSubject(harness);

    it('reads null for an unknown request', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      expect(await s.storage.turns.get(key, id)).toBeNull();
      expect(await raw(s, key, id)).toBeOneOf([null, undefined]);
    });

    it('begin records a started turn expiring 7 days later', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      const sessionId = newSession();
      const t0 = s.clock.now();
      const record = await s.storage.turns.begin(key, id, { sessionId, entriesBefore: 12, turnsBefore: 3 });
      expect(record).toEqual({
        key,
        requestId: id,
        state: 'started',
        sessionId,
        entriesBefore: 12,
        turnsBefore: 3,
        startedAt: t0,
        delivered: false,
        expiresAt: t0 + RETENTION_MS,
      });
      expect(await s.storage.turns.get(key, id)).toEqual(record);
      if (s.raw.readTurn) {
        expect(await s.raw.readTurn(key, id)).toEqual({
          state: 'started',
          sessionId,
          entriesBefore: 12,
          result: null,
          delivered: false,
          expiresAt: t0 + RETENTION_MS,
        });
      }
    });

    it('complete stores the result and refreshes the expiry; markDelivered marks it', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      const sessionId = newSession();
      const t0 = s.clock.now();
      await s.storage.turns.begin(key, id, { sessionId, entriesBefore: 0, turnsBefore: 0 });
      const t1 = s.clock.advance(5_000);
      const result = JSON.stringify({ response: 'hé — "quoted"\nline', cost_usd: 0.01 });
      const done = await s.storage.turns.complete(key, id, result);
      expect(done).toEqual({
        key,
        requestId: id,
        state: 'done',
        sessionId,
        entriesBefore: 0,
        turnsBefore: 0,
        startedAt: t0,
        completedAt: t1,
        result,
        delivered: false,
        expiresAt: t1 + RETENTION_MS,
      });
      expect(await s.storage.turns.get(key, id)).toEqual(done);
      expect(await s.storage.turns.markDelivered(key, id)).toBe(true);
      expect(await s.storage.turns.get(key, id)).toEqual({ ...done, delivered: true });
      if (s.raw.readTurn) {
        expect(await s.raw.readTurn(key, id)).toEqual({
          state: 'done',
          sessionId,
          entriesBefore: 0,
          result,
          delivered: true,
          expiresAt: t1 + RETENTION_MS,
        });
      }
    });

    it('begin replaces a record; markDelivered needs a done record', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      await s.storage.turns.begin(key, id, { sessionId: newSession(), entriesBefore: 4, turnsBefore: 1 });
      expect(await s.storage.turns.markDelivered(key, id)).toBe(false);
      expect((await s.storage.turns.get(key, id))?.delivered).toBe(false);
      await s.storage.turns.complete(key, id, '{}');
      await s.storage.turns.markDelivered(key, id);
      const next = newSession();
      const again = await s.storage.turns.begin(key, id, {
        sessionId: next,
        entriesBefore: 9,
        turnsBefore: 2,
      });
      expect(again).toMatchObject({ state: 'started', sessionId: next, entriesBefore: 9, delivered: false });
      expect(again.result).toBeUndefined();
      expect(await s.storage.turns.get(key, id)).toEqual(again);
      if (s.raw.readTurn) {
        expect(await s.raw.readTurn(key, id)).toMatchObject({
          state: 'started',
          result: null,
          delivered: false,
        });
      }
    });

    it('complete and markDelivered never create a record', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      expect(await s.storage.turns.complete(key, id, '{}')).toBeNull();
      expect(await s.storage.turns.markDelivered(key, id)).toBe(false);
      expect(await s.storage.turns.get(key, id)).toBeNull();
      expect(await raw(s, key, id)).toBeOneOf([null, undefined]);
    });

    it('an expired record reads as absent and is not revived by complete/markDelivered', async () => {
      const s = subject();
      const key = conversation();
      const id = newRequest();
      await s.storage.turns.begin(key, id, { sessionId: newSession(), entriesBefore: 0, turnsBefore: 0 });
      s.clock.advance(RETENTION_MS - 1);
      expect((await s.storage.turns.get(key, id))?.state).toBe('started');
      s.clock.advance(2);
      expect(await s.storage.turns.get(key, id)).toBeNull();
      expect(await s.storage.turns.complete(key, id, '{}')).toBeNull();
      expect(await s.storage.turns.markDelivered(key, id)).toBe(false);
      expect(await s.storage.turns.get(key, id)).toBeNull();
      const stored = await raw(s, key, id);
      if (stored) expect(stored).toMatchObject({ state: 'started', result: null });
    });

    it('keeps requests, conversations and tenants apart', async () => {
      const s = subject();
      const id = parseRequestId('tg:4242');
      const a = conversationKey({ tenant: TENANT_A, chat: 7, thread: 1 });
      const aOther = conversationKey({ tenant: TENANT_A, chat: 7, thread: 2 });
      const b = conversationKey({ tenant: TENANT_B, chat: 7, thread: 1 });
      const sessions = [newSession(), newSession(), newSession()];
      await s.storage.turns.begin(a, id, { sessionId: sessions[0]!, entriesBefore: 1, turnsBefore: 0 });
      await s.storage.turns.begin(aOther, id, { sessionId: sessions[1]!, entriesBefore: 2, turnsBefore: 0 });
      await s.storage.turns.begin(b, id, { sessionId: sessions[2]!, entriesBefore: 3, turnsBefore: 0 });
      await s.storage.turns.complete(a, id, '"a"');
      expect(await s.storage.turns.get(a, parseRequestId('tg:4243'))).toBeNull();
      expect(await s.storage.turns.get(a, id)).toMatchObject({
        state: 'done',
        result: '"a"',
        entriesBefore: 1,
      });
      expect(await s.storage.turns.get(aOther, id)).toMatchObject({ state: 'started', entriesBefore: 2 });
      expect(await s.storage.turns.get(b, id)).toMatchObject({ state: 'started', entriesBefore: 3 });
      expect(await raw(s, b, id)).toBeOneOf([undefined, expect.objectContaining({ sessionId: sessions[2] })]);
      const keysB = await s.raw.listTenantKeys(TENANT_B);
      expect(keysB.every((k) => !k.includes(TENANT_A))).toBe(true);
    });

    it('rejects hostile request ids before anything is written', async () => {
      const s = subject();
      const key = conversation();
      const before = s.raw.listAllKeys ? await s.raw.listAllKeys() : [];
      for (const bad of ['', 'a#b', '../x', 'x/y', 'a b', 'x'.repeat(129), 'é']) {
        const start = { sessionId: newSession(), entriesBefore: 0, turnsBefore: 0 };
        for (const op of [
          () => s.storage.turns.begin(key, bad as RequestId, start),
          () => s.storage.turns.get(key, bad as RequestId),
          () => s.storage.turns.complete(key, bad as RequestId, '{}'),
          () => s.storage.turns.markDelivered(key, bad as RequestId),
        ]) {
          await expect(attempt(op)).rejects.toBeInstanceOf(InvalidIdError);
        }
      }
      if (s.raw.listAllKeys) expect(await s.raw.listAllKeys()).toEqual(before);
    });
  });
}
