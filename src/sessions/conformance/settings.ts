import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newApprovalId } from '../../approvals/ids.js';
import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../core/clock.js';
import { InvalidIdError } from '../../core/errors.js';
import { parseSessionId, type SessionId } from '../../core/ids.js';
import type { ConformanceHarness, ConformanceSubject } from '../conformance.js';
import type { SettingsChange } from '../types.js';
import { TENANT_A, attempt, conversation, useSubject } from './fixtures.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;

const newSession = () => parseSessionId(randomUUID());

/** Setting values storage must refuse (it bounds names; the tenant's choices are checked above it). */
const BAD_VALUES: Array<[string, string]> = [
  ['empty', ''],
  ['a space', 'claude opus'],
  ['201 characters', 'm'.repeat(201)],
  ['a control character', 'opus\u0000'],
  ['a newline', 'opus\nx'],
];

/** Every property the stored row has, from the adapter and the raw backend alike. */
async function expectRow(
  s: ConformanceSubject,
  key: ReturnType<typeof conversation>,
  row: {
    sessionId: SessionId;
    turns: number;
    expiresAt: number;
    model?: string;
    agent?: string;
    pendingApproval?: string;
  },
): Promise<void> {
  const record = await s.storage.conversations.get(key);
  expect(record).toMatchObject({
    key,
    sessionId: row.sessionId,
    turns: row.turns,
    expiresAt: row.expiresAt,
    updatedAt: row.expiresAt - RETENTION_MS,
  });
  for (const field of ['model', 'agent', 'pendingApproval'] as const) {
    if (row[field] === undefined) expect(record).not.toHaveProperty(field);
    else expect(record?.[field]).toBe(row[field]);
  }
  expect(await s.raw.readConversation(key)).toEqual(row);
}

/** Conversation settings in the map: `configure`, `switchTo`, and what `touch`/`remove` do to them. */
export function settingsTests(harness: ConformanceHarness): void {
  describe('conversation settings', () => {
    const subject = useSubject(harness);

    it('configure on an absent record creates a session chosen but not started (turns 0)', async () => {
      const s = subject();
      const key = conversation();
      const chosen = newSession();
      const t0 = s.clock.now();
      const record = await s.storage.conversations.configure(key, { model: 'fast' }, chosen);
      expect(record).toEqual({
        key,
        sessionId: chosen,
        createdAt: t0,
        updatedAt: t0,
        expiresAt: t0 + RETENTION_MS,
        turns: 0,
        model: 'fast',
      });
      expect(await s.storage.conversations.get(key)).toEqual(record);
      expect(await s.raw.readConversation(key)).toEqual({
        sessionId: chosen,
        expiresAt: t0 + RETENTION_MS,
        turns: 0,
        model: 'fast',
      });
      expect((await s.storage.conversations.list(TENANT_A)).map((r) => r.sessionId)).toEqual([chosen]);
    });

    it('configure sets, keeps and clears each setting; the session, turns and pending request stay', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      const pending = newApprovalId();
      const t0 = s.clock.now();
      await s.storage.conversations.touch(key, sessionId);
      await s.storage.conversations.touch(key, sessionId, { pendingApproval: pending });

      let t = s.clock.advance(DAY_MS);
      const both = await s.storage.conversations.configure(
        key,
        { model: 'us.anthropic.claude-opus-5-5:0', agent: 'reviewer' },
        newSession(),
      );
      expect(both).toEqual({
        key,
        sessionId,
        createdAt: t0,
        updatedAt: t,
        expiresAt: t + RETENTION_MS,
        turns: 2,
        pendingApproval: pending,
        model: 'us.anthropic.claude-opus-5-5:0',
        agent: 'reviewer',
      });
      await expectRow(s, key, {
        sessionId,
        turns: 2,
        expiresAt: t + RETENTION_MS,
        pendingApproval: pending,
        model: 'us.anthropic.claude-opus-5-5:0',
        agent: 'reviewer',
      });

      // Absent fields are kept; a value replaces; null clears.
      t = s.clock.advance(1000);
      await s.storage.conversations.configure(key, { model: 'haiku' }, newSession());
      await expectRow(s, key, {
        sessionId,
        turns: 2,
        expiresAt: t + RETENTION_MS,
        pendingApproval: pending,
        model: 'haiku',
        agent: 'reviewer',
      });
      t = s.clock.advance(1000);
      await s.storage.conversations.configure(key, { agent: null }, newSession());
      await expectRow(s, key, {
        sessionId,
        turns: 2,
        expiresAt: t + RETENTION_MS,
        pendingApproval: pending,
        model: 'haiku',
      });
      t = s.clock.advance(1000);
      const none = await s.storage.conversations.configure(key, { model: null, agent: null }, newSession());
      expect(none).not.toHaveProperty('model');
      expect(none).not.toHaveProperty('agent');
      await expectRow(s, key, { sessionId, turns: 2, expiresAt: t + RETENTION_MS, pendingApproval: pending });

      // An empty change only refreshes the record.
      t = s.clock.advance(1000);
      const refreshed = await s.storage.conversations.configure(key, {}, newSession());
      expect(refreshed).toMatchObject({ sessionId, turns: 2, createdAt: t0, updatedAt: t });
      await expectRow(s, key, { sessionId, turns: 2, expiresAt: t + RETENTION_MS, pendingApproval: pending });
    });

    it('configure on an expired record starts a new one without the old settings', async () => {
      const s = subject();
      const key = conversation();
      const old = newSession();
      await s.storage.conversations.configure(key, { model: 'opus', agent: 'reviewer' }, old);
      await s.storage.conversations.touch(key, old, { pendingApproval: newApprovalId() });
      s.clock.advance(RETENTION_MS);
      expect(await s.storage.conversations.get(key)).toBeNull();

      const chosen = newSession();
      const t = s.clock.now();
      const record = await s.storage.conversations.configure(key, { agent: 'writer' }, chosen);
      expect(record).toEqual({
        key,
        sessionId: chosen,
        createdAt: t,
        updatedAt: t,
        expiresAt: t + RETENTION_MS,
        turns: 0,
        agent: 'writer',
      });
      await expectRow(s, key, { sessionId: chosen, turns: 0, expiresAt: t + RETENTION_MS, agent: 'writer' });
    });

    it('touch keeps the settings and turns a chosen session (turns 0) into a started one', async () => {
      const s = subject();
      const key = conversation();
      const chosen = newSession();
      await s.storage.conversations.configure(key, { model: 'fast', agent: 'reviewer' }, chosen);
      const t = s.clock.advance(5000);
      const record = await s.storage.conversations.touch(key, chosen);
      expect(record).toMatchObject({ sessionId: chosen, turns: 1, model: 'fast', agent: 'reviewer' });
      await expectRow(s, key, {
        sessionId: chosen,
        turns: 1,
        expiresAt: t + RETENTION_MS,
        model: 'fast',
        agent: 'reviewer',
      });

      // A turn in another session (a resume that could not happen, a /new) keeps them too.
      const other = newSession();
      const t2 = s.clock.advance(5000);
      await s.storage.conversations.touch(key, other);
      await expectRow(s, key, {
        sessionId: other,
        turns: 2,
        expiresAt: t2 + RETENTION_MS,
        model: 'fast',
        agent: 'reviewer',
      });
    });

    it('touch after expiry starts afresh without the old settings', async () => {
      const s = subject();
      const key = conversation();
      await s.storage.conversations.configure(key, { model: 'fast', agent: 'reviewer' }, newSession());
      s.clock.advance(RETENTION_MS + 1);
      const next = newSession();
      const record = await s.storage.conversations.touch(key, next);
      expect(record).not.toHaveProperty('model');
      expect(record).not.toHaveProperty('agent');
      await expectRow(s, key, { sessionId: next, turns: 1, expiresAt: s.clock.now() + RETENTION_MS });
    });

    it('switchTo keeps the settings, clears the pending request, sets turns and refreshes expiry', async () => {
      const s = subject();
      const key = conversation();
      const first = newSession();
      const t0 = s.clock.now();
      await s.storage.conversations.touch(key, first);
      await s.storage.conversations.configure(key, { model: 'fast', agent: 'reviewer' }, newSession());
      const second = newSession();
      await s.storage.conversations.touch(key, second, { pendingApproval: newApprovalId() });

      const t = s.clock.advance(3 * DAY_MS);
      const record = await s.storage.conversations.switchTo(key, first, 7);
      expect(record).toEqual({
        key,
        sessionId: first,
        createdAt: t0,
        updatedAt: t,
        expiresAt: t + RETENTION_MS,
        turns: 7,
        model: 'fast',
        agent: 'reviewer',
      });
      expect(await s.storage.conversations.get(key)).toEqual(record);
      await expectRow(s, key, {
        sessionId: first,
        turns: 7,
        expiresAt: t + RETENTION_MS,
        model: 'fast',
        agent: 'reviewer',
      });

      // Turns 0: a fresh session chosen (what deleting the current session does), settings kept.
      const fresh = newSession();
      await s.storage.conversations.switchTo(key, fresh, 0);
      await expectRow(s, key, {
        sessionId: fresh,
        turns: 0,
        expiresAt: t + RETENTION_MS,
        model: 'fast',
        agent: 'reviewer',
      });
      expect((await s.storage.conversations.touch(key, fresh)).turns).toBe(1);
    });

    it('switchTo creates the record when there is none', async () => {
      const s = subject();
      const key = conversation();
      const sessionId = newSession();
      const t = s.clock.now();
      const record = await s.storage.conversations.switchTo(key, sessionId, 4);
      expect(record).toEqual({
        key,
        sessionId,
        createdAt: t,
        updatedAt: t,
        expiresAt: t + RETENTION_MS,
        turns: 4,
      });
      await expectRow(s, key, { sessionId, turns: 4, expiresAt: t + RETENTION_MS });
    });

    it('switchTo on an expired record does not carry its settings or pending request', async () => {
      const s = subject();
      const key = conversation();
      const old = newSession();
      await s.storage.conversations.touch(key, old, { pendingApproval: newApprovalId() });
      await s.storage.conversations.configure(key, { model: 'fast', agent: 'reviewer' }, newSession());
      s.clock.advance(RETENTION_MS);
      const t = s.clock.now();
      const record = await s.storage.conversations.switchTo(key, old, 1);
      expect(record).toEqual({
        key,
        sessionId: old,
        createdAt: t,
        updatedAt: t,
        expiresAt: t + RETENTION_MS,
        turns: 1,
      });
      await expectRow(s, key, { sessionId: old, turns: 1, expiresAt: t + RETENTION_MS });
    });

    it('remove drops the settings with the record', async () => {
      const s = subject();
      const key = conversation();
      const chosen = newSession();
      await s.storage.conversations.configure(key, { model: 'fast', agent: 'reviewer' }, chosen);
      const removed = await s.storage.conversations.remove(key);
      expect(removed).toMatchObject({ sessionId: chosen, turns: 0, model: 'fast', agent: 'reviewer' });
      expect(await s.storage.conversations.get(key)).toBeNull();
      expect(await s.raw.readConversation(key)).toBeNull();
      const next = newSession();
      const record = await s.storage.conversations.touch(key, next);
      expect(record).not.toHaveProperty('model');
      expect(record).not.toHaveProperty('agent');
      await expectRow(s, key, { sessionId: next, turns: 1, expiresAt: s.clock.now() + RETENTION_MS });
    });

    it('settings of one conversation never reach another', async () => {
      const s = subject();
      const one = conversation();
      const two = conversation();
      await s.storage.conversations.configure(one, { model: 'fast' }, newSession());
      const sTwo = newSession();
      await s.storage.conversations.touch(two, sTwo);
      await s.storage.conversations.configure(two, { agent: 'reviewer' }, newSession());
      expect(await s.raw.readConversation(one)).toMatchObject({ model: 'fast' });
      expect(await s.raw.readConversation(one)).not.toHaveProperty('agent');
      expect(await s.raw.readConversation(two)).toEqual({
        sessionId: sTwo,
        turns: 1,
        expiresAt: s.clock.now() + RETENTION_MS,
        agent: 'reviewer',
      });
    });

    describe('invalid input writes nothing', () => {
      const changes = BAD_VALUES.flatMap(([label, value]): Array<[string, SettingsChange]> => [
        [`model ${label}`, { model: value }],
        [`agent ${label}`, { agent: value }],
        [`valid model with agent ${label}`, { model: 'fast', agent: value }],
      ]);

      it.each(changes)('configure refuses %s (absent record)', async (_label, change) => {
        const s = subject();
        const key = conversation();
        await expect(
          attempt(() => s.storage.conversations.configure(key, change, newSession())),
        ).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.storage.conversations.get(key)).toBeNull();
        expect(await s.raw.readConversation(key)).toBeNull();
      });

      it('configure refuses a non-string value and an invalid new session id, leaving a live record as it was', async () => {
        const s = subject();
        const key = conversation();
        const sessionId = newSession();
        await s.storage.conversations.touch(key, sessionId);
        await s.storage.conversations.configure(key, { model: 'fast' }, newSession());
        const before = await s.raw.readConversation(key);
        s.clock.advance(1000);
        const hostile: Array<() => Promise<unknown>> = [
          () => s.storage.conversations.configure(key, { model: 42 as unknown as string }, newSession()),
          () => s.storage.conversations.configure(key, { agent: ['x'] as unknown as string }, newSession()),
          () => s.storage.conversations.configure(key, { model: 'm'.repeat(201) }, newSession()),
          () => s.storage.conversations.configure(key, { model: 'opus' }, '../x' as SessionId),
          () => s.storage.conversations.configure(key, { model: 'opus' }, '' as SessionId),
        ];
        for (const call of hostile) await expect(attempt(call)).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.raw.readConversation(key)).toEqual(before);
        expect(await s.storage.conversations.get(key)).toMatchObject({ sessionId, turns: 1, model: 'fast' });
      });

      it.each([
        ['negative', -1],
        ['NaN', Number.NaN],
        ['fractional', 1.5],
        ['infinite', Number.POSITIVE_INFINITY],
      ])('switchTo refuses a %s turn count', async (_label, turns) => {
        const s = subject();
        const key = conversation();
        const absent = conversation();
        const sessionId = newSession();
        await s.storage.conversations.touch(key, sessionId);
        const before = await s.raw.readConversation(key);
        s.clock.advance(1000);
        await expect(
          attempt(() => s.storage.conversations.switchTo(key, newSession(), turns)),
        ).rejects.toBeInstanceOf(InvalidIdError);
        await expect(
          attempt(() => s.storage.conversations.switchTo(absent, newSession(), turns)),
        ).rejects.toBeInstanceOf(InvalidIdError);
        expect(await s.raw.readConversation(key)).toEqual(before);
        expect(await s.raw.readConversation(absent)).toBeNull();
      });

      it('switchTo refuses a malformed session id', async () => {
        const s = subject();
        const key = conversation();
        for (const bad of ['../x', '', 'x'.repeat(300), randomUUID().toUpperCase()]) {
          await expect(
            attempt(() => s.storage.conversations.switchTo(key, bad as SessionId, 1)),
          ).rejects.toBeInstanceOf(InvalidIdError);
        }
        expect(await s.raw.readConversation(key)).toBeNull();
      });
    });
  });
}
