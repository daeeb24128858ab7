import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../core/clock.js';
import { InvalidIdError, StorageError } from '../../core/errors.js';
import {
  parseChatId,
  parseSessionId,
  parseTenantId,
  parseThreadId,
  type SessionId,
  type TenantId,
} from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import type { ConformanceHarness, ConformanceSubject } from '../conformance.js';
import {
  SESSION_EXPIRED_LISTING_DAYS,
  type SessionFilter,
  type SessionInfo,
  type SessionTurn,
} from '../types.js';
import { TENANT_A, TENANT_B, attempt, conversation, useSubject } from './fixtures.js';

const HISTORY_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;
const KEEP_MS = HISTORY_MS + SESSION_EXPIRED_LISTING_DAYS * DAY_MS;
/** A tenant whose id starts with TENANT_A's: a prefix query must not mix them. */
const TENANT_A2: TenantId = parseTenantId(`${TENANT_A}2`);

const newSession = () => parseSessionId(randomUUID());

function turnAt(
  at: number,
  title = 'what is deployed?',
  costUsd = 0.01,
  model: string | null = 'm-1',
): SessionTurn {
  return { at, title, costUsd, model };
}

function entry(
  key: ConversationKey,
  sessionId: SessionId,
  at: number,
  extra: Partial<SessionInfo> = {},
): SessionInfo {
  return {
    key,
    sessionId,
    createdAt: at,
    updatedAt: at,
    turns: 1,
    title: 'imported',
    costUsd: 0,
    model: null,
    origin: 'import',
    historyUntil: at + HISTORY_MS,
    ...extra,
  };
}

/** The entry as the adapter reads it and as the raw backend holds it (keep/ttl where stored). */
async function expectEntry(s: ConformanceSubject, info: SessionInfo): Promise<void> {
  expect(await s.storage.sessions.get(info.key.tenant, info.sessionId)).toEqual(info);
  const raw = await s.raw.readSession(info.key, info.sessionId);
  expect(raw).not.toBeNull();
  const { key, costUsd, ...rest } = info;
  expect(raw).toMatchObject({ tenant: key.tenant, chat: key.chat, thread: key.thread, ...rest });
  expect(raw?.costUsd).toBeCloseTo(costUsd, 9);
  if (raw?.keepUntil !== undefined) expect(raw.keepUntil).toBe(info.historyUntil + KEEP_MS - HISTORY_MS);
  if (raw?.ttl !== undefined)
    expect(raw.ttl).toBe(Math.ceil((info.historyUntil + KEEP_MS - HISTORY_MS) / 1000));
}

/** A chat (and thread) filter from plain strings. */
function where(chat: string, thread?: string, limit?: number): SessionFilter {
  return {
    chat: parseChatId(chat),
    ...(thread !== undefined ? { thread: parseThreadId(thread) } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** Session ids of a listing, in order. */
async function listed(s: ConformanceSubject, tenant: TenantId, filter?: SessionFilter): Promise<string[]> {
  return (await s.storage.sessions.list(tenant, filter)).map((info) => info.sessionId);
}

async function snapshot(s: ConformanceSubject): Promise<string[]> {
  const keys = [...(await s.raw.listTenantKeys(TENANT_A)), ...(await s.raw.listTenantKeys(TENANT_B))];
  if (s.raw.listAllKeys) keys.push(...(await s.raw.listAllKeys()));
  return keys.sort();
}

/** Runs `calls` at most `width` at a time (a bulk load that does not flood a local peer). */
async function inBatches(calls: Array<() => Promise<unknown>>, width = 25): Promise<void> {
  for (let i = 0; i < calls.length; i += width) await Promise.all(calls.slice(i, i + width).map((c) => c()));
}

/** The session catalog: turns, titles, cost, retention, listing and its filters, create/remove, hostile ids. */
export function catalogTests(harness: ConformanceHarness): void {
  describe('session catalog', () => {
    const subject = useSubject(harness);

    it('reads null for an unknown session and lists nothing', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
      expect(await s.storage.sessions.list(TENANT_A)).toEqual([]);
      expect(await s.storage.sessions.remove(TENANT_A, id)).toBeNull();
      expect(await s.raw.readSession(key, id)).toBeNull();
    });

    it('the first turn creates the entry with its question as title', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const t0 = s.clock.now();
      const info = await s.storage.sessions.recordTurn(key, id, turnAt(t0, 'What is deployed?', 0.25, 'm-1'));
      const want: SessionInfo = {
        key,
        sessionId: id,
        createdAt: t0,
        updatedAt: t0,
        turns: 1,
        title: 'What is deployed?',
        costUsd: 0.25,
        model: 'm-1',
        origin: 'turn',
        historyUntil: t0 + HISTORY_MS,
      };
      expect(info).toEqual(want);
      await expectEntry(s, want);
      expect(await s.storage.sessions.list(TENANT_A)).toEqual([want]);
    });

    it('later turns add count and cost and keep title, createdAt and (on null) the model', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const t0 = s.clock.now();
      await s.storage.sessions.recordTurn(key, id, turnAt(t0, 'first question', 0.1, 'm-1'));
      const t1 = s.clock.advance(60_000);
      await s.storage.sessions.recordTurn(key, id, turnAt(t1, 'second question', 0.2, null));
      const t2 = s.clock.advance(3 * DAY_MS);
      const info = await s.storage.sessions.recordTurn(key, id, turnAt(t2, 'third', 0.3, null));
      expect(info).toMatchObject({
        createdAt: t0,
        updatedAt: t2,
        turns: 3,
        title: 'first question',
        model: 'm-1',
        historyUntil: t2 + HISTORY_MS,
      });
      expect(info.costUsd).toBeCloseTo(0.6, 9);
      await expectEntry(s, info);

      const t3 = s.clock.advance(1000);
      const switched = await s.storage.sessions.recordTurn(key, id, turnAt(t3, 'x', 0, 'm-2'));
      expect(switched).toMatchObject({ turns: 4, model: 'm-2', updatedAt: t3, title: 'first question' });
      await expectEntry(s, switched);
    });

    it('a NaN, negative or infinite cost counts 0', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const t = s.clock.now();
      for (const cost of [Number.NaN, -5, Number.POSITIVE_INFINITY, 0.5]) {
        await s.storage.sessions.recordTurn(key, id, turnAt(t, 'q', cost));
      }
      const info = await s.storage.sessions.get(TENANT_A, id);
      expect(info?.turns).toBe(4);
      expect(info?.costUsd).toBe(0.5);
      expect((await s.raw.readSession(key, id))?.costUsd).toBe(0.5);
    });

    it('titles are one line, without control characters, at most 120 characters', async () => {
      const s = subject();
      const key = conversation();
      const cases: Array<[string, string]> = [
        ['  line one\nline two\r\n\tindented  ', 'line one line two indented'],
        ['bell\u0007and\u0000nul\u007fdel\u2028sep', 'bell and nul del sep'],
        ['x'.repeat(119), 'x'.repeat(119)],
        ['y'.repeat(120), 'y'.repeat(120)],
        [`${'z'.repeat(150)}\nmore`, `${'z'.repeat(119)}…`],
        ['😀'.repeat(130), `${'😀'.repeat(119)}…`],
        ['\n\t ', ''],
      ];
      for (const [question, title] of cases) {
        const id = newSession();
        const info = await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now(), question));
        expect(info.title).toBe(title);
        expect([...info.title].length).toBeLessThanOrEqual(120);
        expect((await s.raw.readSession(key, id))?.title ?? '').toBe(title);
        expect((await s.storage.sessions.get(TENANT_A, id))?.title).toBe(title);
      }
    });

    it('a session without a question gets its title from the first turn that has one', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now(), ''));
      expect((await s.storage.sessions.get(TENANT_A, id))?.title).toBe('');
      await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now(), 'now a question'));
      await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now(), 'a later one'));
      const info = await s.storage.sessions.get(TENANT_A, id);
      expect(info).toMatchObject({ title: 'now a question', turns: 3 });
      expect((await s.raw.readSession(key, id))?.title).toBe('now a question');
    });

    it('is kept until historyUntil + 25 days, then reads as absent and a new turn starts afresh', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const t0 = s.clock.now();
      await s.storage.sessions.recordTurn(key, id, turnAt(t0, 'old question', 1, 'm-1'));
      const t1 = s.clock.advance(DAY_MS);
      const info = await s.storage.sessions.recordTurn(key, id, turnAt(t1, 'ignored', 1, null));
      expect(info.historyUntil).toBe(t1 + HISTORY_MS);

      // Past its history: still listed (as expired, by the caller) until historyUntil + 25 days.
      s.clock.set(info.historyUntil + 1);
      expect(await s.storage.sessions.get(TENANT_A, id)).toEqual(info);
      s.clock.set(t1 + KEEP_MS - 1);
      expect(await s.storage.sessions.get(TENANT_A, id)).toEqual(info);
      expect(await listed(s, TENANT_A)).toEqual([id]);

      s.clock.set(t1 + KEEP_MS);
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
      expect(await s.storage.sessions.list(TENANT_A)).toEqual([]);
      expect(await s.storage.sessions.list(TENANT_A, { chat: key.chat, thread: key.thread })).toEqual([]);
      const raw = await s.raw.readSession(key, id);
      if (raw?.keepUntil !== undefined) expect(raw.keepUntil).toBeLessThanOrEqual(s.clock.now());

      const t2 = s.clock.now();
      const fresh = await s.storage.sessions.recordTurn(key, id, turnAt(t2, 'new question', 0.5, null));
      const want: SessionInfo = {
        key,
        sessionId: id,
        createdAt: t2,
        updatedAt: t2,
        turns: 1,
        title: 'new question',
        costUsd: 0.5,
        model: null,
        origin: 'turn',
        historyUntil: t2 + HISTORY_MS,
      };
      expect(fresh).toEqual(want);
      await expectEntry(s, want);
    });

    it('lists newest first, by chat and by conversation, never mixing prefixes of ids', async () => {
      const s = subject();
      const k1 = conversationKey({ tenant: TENANT_A, chat: '1', thread: 'main' });
      const k1b = conversationKey({ tenant: TENANT_A, chat: '1', thread: 'main2' });
      const k12 = conversationKey({ tenant: TENANT_A, chat: '12', thread: 'main' });
      const other = conversationKey({ tenant: TENANT_A2, chat: '1', thread: 'main' });
      const ids: Record<string, SessionId> = {};
      for (const [name, key] of [
        ['a', k1],
        ['b', k1b],
        ['c', k12],
        ['d', k1],
        ['x', other],
      ] as const) {
        ids[name] = newSession();
        await s.storage.sessions.recordTurn(key, ids[name], turnAt(s.clock.advance(1000)));
      }
      // A later turn moves a session to the front.
      await s.storage.sessions.recordTurn(k1, ids.a!, turnAt(s.clock.advance(1000)));

      expect(await listed(s, TENANT_A)).toEqual([ids.a, ids.d, ids.c, ids.b]);
      expect(await listed(s, TENANT_A, where('1'))).toEqual([ids.a, ids.d, ids.b]);
      expect(await listed(s, TENANT_A, where('12'))).toEqual([ids.c]);
      expect(await listed(s, TENANT_A, where('1', 'main'))).toEqual([ids.a, ids.d]);
      expect(await listed(s, TENANT_A, where('1', 'main2'))).toEqual([ids.b]);
      expect(await listed(s, TENANT_A, where('1', 'mai'))).toEqual([]);
      expect(await listed(s, TENANT_A, where('2'))).toEqual([]);
      expect(await listed(s, TENANT_A2)).toEqual([ids.x]);
      expect(await listed(s, TENANT_A2, where('12'))).toEqual([]);
      expect(await listed(s, TENANT_B)).toEqual([]);
      expect(await s.storage.sessions.get(TENANT_A, ids.x!)).toBeNull();
      expect(await s.storage.sessions.get(TENANT_A2, ids.a!)).toBeNull();
      for (const info of await s.storage.sessions.list(TENANT_A)) await expectEntry(s, info);
    });

    it('orders entries of the same instant by session id', async () => {
      const s = subject();
      const key = conversation();
      const at = s.clock.now();
      const ids = Array.from({ length: 5 }, newSession);
      for (const id of ids) await s.storage.sessions.recordTurn(key, id, turnAt(at));
      expect(await listed(s, TENANT_A)).toEqual([...ids].sort());
    });

    it('respects the limit: default 100, at most 1000', { timeout: 120_000 }, async () => {
      const s = subject();
      const key = conversation();
      const t0 = s.clock.now();
      const ids = Array.from({ length: 1001 }, newSession);
      await inBatches(ids.map((id, i) => () => s.storage.sessions.create(entry(key, id, t0 + i))));
      const newest = [...ids].reverse();
      expect(await listed(s, TENANT_A)).toEqual(newest.slice(0, 100));
      expect(await listed(s, TENANT_A, { limit: 3 })).toEqual(newest.slice(0, 3));
      expect(await listed(s, TENANT_A, { chat: key.chat, limit: 1 })).toEqual(newest.slice(0, 1));
      expect(await listed(s, TENANT_A, { chat: key.chat, thread: key.thread, limit: 500 })).toEqual(
        newest.slice(0, 500),
      );
      expect(await listed(s, TENANT_A, { limit: 5000 })).toEqual(newest.slice(0, 1000));
      for (const bad of [0, -1, Number.NaN, 2.5]) {
        expect(await listed(s, TENANT_A, { limit: bad })).toHaveLength(100);
      }
    });

    it('create stores the entry as given and refuses a live duplicate id with session_exists', async () => {
      const s = subject();
      const key = conversation();
      const elsewhere = conversation();
      const id = newSession();
      const t = s.clock.now();
      const info = entry(key, id, t - DAY_MS, {
        updatedAt: t,
        turns: 12,
        title: 'from a file',
        costUsd: 1.5,
        model: 'm-9',
        historyUntil: t + HISTORY_MS,
      });
      await s.storage.sessions.create(info);
      await expectEntry(s, info);

      const before = await snapshot(s);
      for (const dup of [entry(key, id, t, { title: 'again' }), entry(elsewhere, id, t)]) {
        const err = await attempt(() => s.storage.sessions.create(dup)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).code).toBe('session_exists');
      }
      expect(await snapshot(s)).toEqual(before);
      await expectEntry(s, info);
      expect(await s.raw.readSession(elsewhere, id)).toBeNull();

      // Another tenant may hold the same id: tenants never meet.
      const theirs = entry(conversation(TENANT_B), id, t, { title: 'theirs' });
      await s.storage.sessions.create(theirs);
      await expectEntry(s, theirs);
      await expectEntry(s, info);
    });

    it('create replaces a dead entry of the same id, and a turn continues an imported one', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const t0 = s.clock.now();
      await s.storage.sessions.create(entry(key, id, t0, { title: 'old' }));
      s.clock.set(t0 + KEEP_MS);
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
      const t1 = s.clock.now();
      const fresh = entry(key, id, t1, { title: 'new', turns: 2 });
      await s.storage.sessions.create(fresh);
      await expectEntry(s, fresh);

      const t2 = s.clock.advance(1000);
      const next = await s.storage.sessions.recordTurn(key, id, turnAt(t2, 'asked later', 0.1, 'm-1'));
      expect(next).toMatchObject({ origin: 'import', turns: 3, title: 'new', createdAt: t1, updatedAt: t2 });
      await expectEntry(s, next);
    });

    it('remove returns the entry and then it is gone', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const keep = newSession();
      const info = await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now()));
      await s.storage.sessions.recordTurn(key, keep, turnAt(s.clock.now()));
      expect(await s.storage.sessions.remove(TENANT_A, id)).toEqual(info);
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
      expect(await s.raw.readSession(key, id)).toBeNull();
      expect(await listed(s, TENANT_A)).toEqual([keep]);
      expect(await s.storage.sessions.remove(TENANT_A, id)).toBeNull();
      // The same id in another tenant is not touched.
      expect(await s.storage.sessions.remove(TENANT_B, keep)).toBeNull();
      expect(await s.raw.readSession(key, keep)).not.toBeNull();
    });

    it('remove of a dead entry returns null', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now()));
      s.clock.advance(KEEP_MS);
      expect(await s.storage.sessions.remove(TENANT_A, id)).toBeNull();
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
    });

    it('a session is one conversation’s: a turn of it elsewhere is refused with session_conflict', async () => {
      const s = subject();
      const key = conversation();
      const other = conversation();
      const id = newSession();
      const info = await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now()));
      const before = await snapshot(s);
      const err = await attempt(() =>
        s.storage.sessions.recordTurn(other, id, turnAt(s.clock.now(), 'stolen')),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('session_conflict');
      expect(await snapshot(s)).toEqual(before);
      expect(await s.raw.readSession(other, id)).toBeNull();
      await expectEntry(s, info);
    });

    it('once the entry is gone, its id may be catalogued under another conversation', async () => {
      const s = subject();
      const key = conversation();
      const other = conversation();
      const id = newSession();
      const first = await s.storage.sessions.recordTurn(key, id, turnAt(s.clock.now(), 'first home'));
      s.clock.set(first.historyUntil + SESSION_EXPIRED_LISTING_DAYS * DAY_MS);
      const moved = await s.storage.sessions.recordTurn(other, id, turnAt(s.clock.now(), 'second home'));
      expect(moved.key).toEqual(other);
      expect(moved.turns).toBe(1);
      expect(await s.storage.sessions.get(TENANT_A, id)).toEqual(moved);
      await expectEntry(s, moved);
      expect(await s.storage.sessions.remove(TENANT_A, id)).toEqual(moved);
      expect(await s.storage.sessions.get(TENANT_A, id)).toBeNull();
    });

    it('the same session id in two tenants keeps two entries', async () => {
      const s = subject();
      const id = newSession();
      const a = conversationKey({ tenant: TENANT_A, chat: '1' });
      const a2 = conversationKey({ tenant: TENANT_A2, chat: '1' });
      const infoA = await s.storage.sessions.recordTurn(a, id, turnAt(s.clock.now(), 'from acme', 1));
      const infoA2 = await s.storage.sessions.recordTurn(a2, id, turnAt(s.clock.now(), 'from acme2', 2));
      await expectEntry(s, infoA);
      await expectEntry(s, infoA2);
      expect(await s.storage.sessions.remove(TENANT_A2, id)).toEqual(infoA2);
      await expectEntry(s, infoA);
    });

    it('concurrent turns of one session all count', async () => {
      const s = subject();
      const key = conversation();
      const id = newSession();
      const at = s.clock.now();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.storage.sessions.recordTurn(key, id, turnAt(at, `question ${i}`, 0.125)),
        ),
      );
      const info = await s.storage.sessions.get(TENANT_A, id);
      expect(info?.turns).toBe(10);
      expect(info?.costUsd).toBeCloseTo(1.25, 9);
      expect(info?.title).toMatch(/^question \d$/);
      const raw = await s.raw.readSession(key, id);
      expect(raw?.turns).toBe(10);
      expect(raw?.costUsd).toBeCloseTo(1.25, 9);

      await Promise.all(
        Array.from({ length: 10 }, () => s.storage.sessions.recordTurn(key, id, turnAt(at, 'more', 0.125))),
      );
      expect((await s.storage.sessions.get(TENANT_A, id))?.turns).toBe(20);
      expect((await s.raw.readSession(key, id))?.turns).toBe(20);
    });

    describe('hostile input writes nothing', () => {
      const BAD_SESSIONS = ['../x', '', 'x'.repeat(300), randomUUID().toUpperCase(), `${randomUUID()}#x`];
      const BAD_KEYS: ConversationKey[] = [
        { tenant: '../x', chat: '1', thread: 'main' },
        { tenant: '', chat: '1', thread: 'main' },
        { tenant: 'a'.repeat(300), chat: '1', thread: 'main' },
        { tenant: TENANT_A, chat: '../x', thread: 'main' },
        { tenant: TENANT_A, chat: '1:main', thread: 'main' },
        { tenant: TENANT_A, chat: '1', thread: 'main#x' },
        { tenant: TENANT_A, chat: '', thread: 'main' },
      ] as unknown as ConversationKey[];

      it('refuses malformed session ids everywhere', async () => {
        const s = subject();
        const key = conversation();
        await s.storage.sessions.recordTurn(key, newSession(), turnAt(s.clock.now()));
        const before = await snapshot(s);
        for (const bad of BAD_SESSIONS as SessionId[]) {
          const calls: Array<() => unknown> = [
            () => s.storage.sessions.recordTurn(key, bad, turnAt(s.clock.now())),
            () => s.storage.sessions.create(entry(key, bad, s.clock.now())),
            () => s.storage.sessions.get(TENANT_A, bad),
            () => s.storage.sessions.remove(TENANT_A, bad),
          ];
          for (const call of calls) await expect(attempt(call)).rejects.toBeInstanceOf(InvalidIdError);
        }
        expect(await snapshot(s)).toEqual(before);
      });

      it('refuses conversation keys that were not built by conversationKey', async () => {
        const s = subject();
        const before = await snapshot(s);
        for (const bad of BAD_KEYS) {
          await expect(
            attempt(() => s.storage.sessions.recordTurn(bad, newSession(), turnAt(s.clock.now()))),
          ).rejects.toBeInstanceOf(InvalidIdError);
          await expect(
            attempt(() => s.storage.sessions.create(entry(bad, newSession(), s.clock.now()))),
          ).rejects.toBeInstanceOf(InvalidIdError);
        }
        expect(await snapshot(s)).toEqual(before);
      });

      it('refuses malformed tenants and filters', async () => {
        const s = subject();
        const id = newSession();
        for (const tenant of ['../x', '', 'ACME', 'a'.repeat(300), 'acme:1'] as TenantId[]) {
          await expect(attempt(() => s.storage.sessions.list(tenant))).rejects.toBeInstanceOf(InvalidIdError);
          await expect(attempt(() => s.storage.sessions.get(tenant, id))).rejects.toBeInstanceOf(
            InvalidIdError,
          );
          await expect(attempt(() => s.storage.sessions.remove(tenant, id))).rejects.toBeInstanceOf(
            InvalidIdError,
          );
        }
        const filters = [
          { chat: '../x' },
          { chat: '1:main' },
          { chat: 'x'.repeat(300) },
          { chat: '1', thread: 'main#' },
          { thread: 'main' },
        ] as SessionFilter[];
        for (const filter of filters) {
          await expect(attempt(() => s.storage.sessions.list(TENANT_A, filter))).rejects.toBeInstanceOf(
            InvalidIdError,
          );
        }
      });
    });
  });
}
