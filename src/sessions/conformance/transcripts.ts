import {
  foldSessionSummary,
  type SessionStoreEntry,
  type SessionSummaryEntry,
} from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import type { ConformanceHarness } from '../conformance.js';
import {
  PROJECT_A,
  TENANT_A,
  entries,
  entry,
  expectStored,
  jsonRoundTrip,
  markerEntry,
  newSessionKey,
  subKey,
  useSubject,
} from './fixtures.js';

/** The SDK `SessionStore` contract plus our `stat`/`listSubkeys`/cascading `delete`. */
export function transcriptTests(harness: ConformanceHarness): void {
  describe('transcripts', () => {
    const subject = useSubject(harness);

    it('round-trips a batch deep-equal after JSON, read back through the adapter and raw', async () => {
      const s = subject();
      const key = newSessionKey();
      const batch: SessionStoreEntry[] = [
        entry('hello'),
        {
          type: 'assistant',
          uuid: '00000000-0000-4000-8000-000000000001',
          nested: { a: [1, 2.5, -3e-7, true, false, null, { deep: { deeper: ['x'] } }], empty: {}, list: [] },
          big: Number.MAX_SAFE_INTEGER,
          dropped: undefined,
        },
        { type: 'summary', summary: 'no uuid, no timestamp' },
      ];
      await s.storage.transcripts.append(key, batch);
      await expectStored(s, key, batch);
      const loaded = await s.storage.transcripts.load(key);
      expect(loaded?.[1]).not.toHaveProperty('dropped');
    });

    it('loads null for a key that was never written', async () => {
      const s = subject();
      const key = newSessionKey();
      await expectStored(s, key, null);
      expect(await s.storage.transcripts.stat(key)).toBeNull();
      expect(await s.storage.transcripts.listSubkeys(key)).toEqual([]);
      expect(await s.storage.transcripts.load(subKey(key, 'subagents/agent-none'))).toBeNull();
    });

    it('accepts an empty batch', async () => {
      const s = subject();
      const key = newSessionKey();
      await s.storage.transcripts.append(key, []);
      const loaded = await s.storage.transcripts.load(key);
      expect(loaded === null || loaded.length === 0).toBe(true);
    });

    it('preserves order across batches', async () => {
      const s = subject();
      const key = newSessionKey();
      const batches = [entries(3, 'a'), entries(1, 'b'), [markerEntry('t1')], entries(5, 'c')];
      for (const batch of batches) await s.storage.transcripts.append(key, batch);
      await expectStored(s, key, batches.flat());
    });

    it('deduplicates by uuid: the same batch retried', async () => {
      const s = subject();
      const key = newSessionKey();
      const batch = entries(4);
      await s.storage.transcripts.append(key, batch);
      await s.storage.transcripts.append(key, jsonRoundTrip(batch));
      await expectStored(s, key, batch);
    });

    it('deduplicates by uuid: an overlapping retry batch appends only the new entries', async () => {
      const s = subject();
      const key = newSessionKey();
      const [a, b, c, d] = entries(4);
      await s.storage.transcripts.append(key, [a!, b!]);
      await s.storage.transcripts.append(key, [b!, c!, d!]);
      await expectStored(s, key, [a!, b!, c!, d!]);
    });

    it('deduplicates by uuid inside one batch', async () => {
      const s = subject();
      const key = newSessionKey();
      const [a, b] = entries(2);
      await s.storage.transcripts.append(key, [a!, jsonRoundTrip(a!), b!, jsonRoundTrip(b!)]);
      await expectStored(s, key, [a!, b!]);
    });

    it('appends entries without uuid as given (duplicates kept)', async () => {
      const s = subject();
      const key = newSessionKey();
      const a = entry('a');
      const title = markerEntry('same title');
      await s.storage.transcripts.append(key, [a, title]);
      await s.storage.transcripts.append(key, [a, title, title]);
      await expectStored(s, key, [a, title, title, title]);
      expect((await s.storage.transcripts.stat(key))?.entries).toBe(4);
    });

    it('dedupes per stream: the same uuid in another session or subpath is stored again', async () => {
      const s = subject();
      const one = newSessionKey();
      const two = newSessionKey();
      const sub = subKey(one, 'subagents/agent-abc');
      const shared = entry('shared');
      for (const key of [one, two, sub]) await s.storage.transcripts.append(key, [shared]);
      for (const key of [one, two, sub]) await expectStored(s, key, [shared]);
    });

    it('keeps subpath streams independent of the main one and lists them', async () => {
      const s = subject();
      const key = newSessionKey();
      const subA = subKey(key, 'subagents/agent-abc');
      const subB = subKey(key, 'subagents/agent-def');
      const main = entries(2, 'main');
      const a = entries(3, 'sub-a');
      const b = entries(1, 'sub-b');
      await s.storage.transcripts.append(key, main.slice(0, 1));
      await s.storage.transcripts.append(subA, a);
      await s.storage.transcripts.append(key, main.slice(1));
      await s.storage.transcripts.append(subB, b);
      await expectStored(s, key, main);
      await expectStored(s, subA, a);
      await expectStored(s, subB, b);
      const subkeys = await s.storage.transcripts.listSubkeys(key);
      expect([...subkeys].sort()).toEqual(['subagents/agent-abc', 'subagents/agent-def']);
      const sessions = await s.storage.transcripts.listSessions(PROJECT_A);
      expect(sessions.filter((x) => x.sessionId === key.sessionId)).toHaveLength(1);
    });

    it('delete of the main key cascades to every subkey (adapter and raw)', async () => {
      const s = subject();
      const key = newSessionKey();
      const keep = newSessionKey();
      const sub = subKey(key, 'subagents/agent-abc');
      const nested = subKey(key, 'subagents/agent-abc/tools/t1');
      await s.storage.transcripts.append(key, entries(2));
      await s.storage.transcripts.append(sub, entries(2));
      await s.storage.transcripts.append(nested, entries(1));
      await s.storage.transcripts.append(keep, entries(1));
      await s.storage.transcripts.delete(key);
      for (const k of [key, sub, nested]) {
        await expectStored(s, k, null);
        expect(await s.storage.transcripts.stat(k)).toBeNull();
      }
      expect(await s.storage.transcripts.listSubkeys(key)).toEqual([]);
      const listed = (await s.storage.transcripts.listSessions(PROJECT_A)).map((x) => x.sessionId);
      expect(listed).not.toContain(key.sessionId);
      expect(listed).toContain(keep.sessionId);
      const rawKeys = await s.raw.listTenantKeys(TENANT_A);
      expect(rawKeys.filter((k) => k.includes(key.sessionId))).toEqual([]);
      expect(rawKeys.some((k) => k.includes(keep.sessionId))).toBe(true);
    });

    it('delete of a subkey removes only that stream', async () => {
      const s = subject();
      const key = newSessionKey();
      const sub = subKey(key, 'subagents/agent-abc');
      const other = subKey(key, 'subagents/agent-def');
      const main = entries(2);
      const otherEntries = entries(1);
      await s.storage.transcripts.append(key, main);
      await s.storage.transcripts.append(sub, entries(2));
      await s.storage.transcripts.append(other, otherEntries);
      await s.storage.transcripts.delete(sub);
      await expectStored(s, sub, null);
      await expectStored(s, key, main);
      await expectStored(s, other, otherEntries);
      expect(await s.storage.transcripts.listSubkeys(key)).toEqual(['subagents/agent-def']);
    });

    it('delete of a never-written key is a no-op', async () => {
      const s = subject();
      await expect(s.storage.transcripts.delete(newSessionKey())).resolves.toBeUndefined();
    });

    it('listSessions returns the sessions of the project with integer mtimes', async () => {
      const s = subject();
      const one = newSessionKey();
      const two = newSessionKey();
      await s.storage.transcripts.append(one, entries(1));
      s.clock.advance(1500.75);
      await s.storage.transcripts.append(two, entries(1));
      const listed = await s.storage.transcripts.listSessions(PROJECT_A);
      expect(listed.map((x) => x.sessionId).sort()).toEqual([one.sessionId, two.sessionId].sort());
      for (const item of listed) {
        expect(Number.isInteger(item.mtime)).toBe(true);
        expect(item.mtime).toBeGreaterThan(0);
      }
      if (harness.mtimeFromClock) {
        const byId = new Map(listed.map((x) => [x.sessionId, x.mtime]));
        expect(byId.get(two.sessionId)).toBe(Math.floor(s.clock.now()));
        expect(byId.get(one.sessionId)).toBe(Math.floor(s.clock.now() - 1500.75));
      }
    });

    it('stat reports entries, bytes, mtime and a location naming the session', async () => {
      const s = subject();
      const key = newSessionKey();
      await s.storage.transcripts.append(key, entries(3));
      const first = await s.storage.transcripts.stat(key);
      expect(first).not.toBeNull();
      expect(first!.entries).toBe(3);
      expect(first!.bytes).toBeGreaterThan(0);
      expect(Number.isInteger(first!.mtime)).toBe(true);
      expect(first!.location).toContain(key.sessionId);
      s.clock.advance(60_000);
      await s.storage.transcripts.append(key, [...entries(2), markerEntry('x')]);
      const second = await s.storage.transcripts.stat(key);
      expect(second!.entries).toBe(6);
      expect(second!.bytes).toBeGreaterThan(first!.bytes);
      expect(second!.mtime).toBeGreaterThanOrEqual(first!.mtime);
      if (harness.mtimeFromClock) expect(second!.mtime).toBe(s.clock.now());
      const sub = subKey(key, 'subagents/agent-abc');
      await s.storage.transcripts.append(sub, entries(1));
      const subStat = await s.storage.transcripts.stat(sub);
      expect(subStat!.entries).toBe(1);
      expect(subStat!.location).not.toBe(second!.location);
      expect((await s.storage.transcripts.stat(key))!.entries).toBe(6);
    });

    it('round-trips unicode (emoji, CJK, RTL, combining marks, lone surrogates, control chars)', async () => {
      const s = subject();
      const key = newSessionKey();
      const texts = [
        'emoji 🚀👩🏽‍💻🇺🇦',
        '中文 日本語 한국어',
        'עברית العربية',
        'e\u0301 a\u030a',
        'lone \ud800 surrogate \udfff',
        'nul \u0000 bell \u0007 tab \t newline \n',
        '"quotes" \\ backslash \u2028 \u2029',
      ];
      const batch = texts.map((t) => entry(t, { [`key ${t.slice(0, 6)}`]: t }));
      await s.storage.transcripts.append(key, batch);
      await expectStored(s, key, batch);
    });

    it('stores a 1 MB entry', async () => {
      const s = subject();
      const key = newSessionKey();
      const big = entry('x'.repeat(1024 * 1024) + '✓');
      const small = entry('after');
      await s.storage.transcripts.append(key, [big, small]);
      await expectStored(s, key, [big, small]);
      expect((await s.storage.transcripts.stat(key))!.entries).toBe(2);
    });

    it('stores many small entries in one batch and in many batches', async () => {
      const s = subject();
      const key = newSessionKey();
      const one = entries(2000, 'bulk');
      await s.storage.transcripts.append(key, one);
      const many: SessionStoreEntry[] = [];
      for (let i = 0; i < 50; i++) {
        const batch = entries(10, `b${i}`);
        many.push(...batch);
        await s.storage.transcripts.append(key, batch);
      }
      await expectStored(s, key, [...one, ...many]);
      expect((await s.storage.transcripts.stat(key))!.entries).toBe(2500);
    });

    it('serialises concurrent appends to one stream without losing entries', async () => {
      const s = subject();
      const key = newSessionKey();
      const batches = Array.from({ length: 10 }, (_, i) => entries(5, `c${i}`));
      await Promise.all(batches.map((b) => s.storage.transcripts.append(key, b)));
      const loaded = await s.storage.transcripts.load(key);
      expect(loaded).toHaveLength(50);
      expect(new Set(loaded!.map((e) => e.uuid)).size).toBe(50);
      // Each batch stays contiguous and in order.
      for (const batch of batches) {
        const start = loaded!.findIndex((e) => e.uuid === batch[0]!.uuid);
        expect(loaded!.slice(start, start + 5)).toEqual(jsonRoundTrip(batch));
      }
    });

    it('maintains SDK session summaries (foldSessionSummary) if listSessionSummaries is implemented', async (ctx) => {
      const s = subject();
      const store = s.storage.transcripts;
      if (typeof store.listSessionSummaries !== 'function') {
        ctx.skip();
        return;
      }
      const key = newSessionKey();
      const batches = [
        [entry('first prompt', { cwd: '/work' }), markerEntry('title one')],
        [entry('second prompt'), markerEntry('title two')],
      ];
      let expected: SessionSummaryEntry | undefined;
      for (const batch of batches) {
        s.clock.advance(1000);
        await store.append(key, batch);
        const stat = await store.stat(key);
        expected = foldSessionSummary(expected, key, jsonRoundTrip(batch), { mtime: stat!.mtime });
      }
      await store.append(subKey(key, 'subagents/agent-abc'), entries(1));
      const summaries = await store.listSessionSummaries(PROJECT_A);
      const mine = summaries.filter((x) => x.sessionId === key.sessionId);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.data).toEqual(expected!.data);
      const listed = await store.listSessions(PROJECT_A);
      expect(mine[0]!.mtime).toBe(listed.find((x) => x.sessionId === key.sessionId)!.mtime);
    });
  });
}
