import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../core/clock.js';
import { parseSessionId, type SessionId } from '../core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import { silentLogger } from '../core/logger.js';
import { createMemoryStorage, type MemoryStorage } from '../sessions/adapters/memory/index.js';
import { ConversationError } from './errors.js';
import { createConversationService } from './service.js';
import type { ConversationService } from './types.js';

const KEY = conversationKey({ tenant: 'acme', chat: '100', thread: '7' });
const OTHER = conversationKey({ tenant: 'acme', chat: '100', thread: '8' });
const OTHER_TENANT = conversationKey({ tenant: 'beta', chat: '100', thread: '7' });

describe('conversation service', () => {
  let clock: ManualClock;
  let storage: MemoryStorage;
  let service: ConversationService;

  /** A committed turn as the runner records it: transcript, map and catalog. */
  async function turn(
    key: ConversationKey,
    sessionId: SessionId,
    text: string,
    costUsd = 0.01,
  ): Promise<void> {
    await storage.transcripts.append({ projectKey: projectKeyForTenant(key.tenant), sessionId }, [
      { type: 'user', uuid: randomUUID(), message: { role: 'user', content: text } },
      {
        type: 'assistant',
        uuid: randomUUID(),
        message: { role: 'assistant', content: [{ type: 'text', text: `re: ${text}` }] },
      },
    ]);
    await storage.conversations.touch(key, sessionId);
    await storage.sessions.recordTurn(key, sessionId, {
      at: clock.now(),
      title: text,
      costUsd,
      model: 'claude-x',
    });
  }
  const newId = (): SessionId => parseSessionId(randomUUID());

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
    storage = createMemoryStorage({ clock });
    service = createConversationService({
      storage,
      clock,
      logger: silentLogger,
      choices: async () => ({
        models: { fast: 'haiku', deep: 'opus' },
        defaultModel: 'sonnet',
        agents: ['triage'],
      }),
    });
  });

  it('lists the conversation’s sessions newest first, marks the current one, and switches back', async () => {
    const first = newId();
    const second = newId();
    await turn(KEY, first, 'why is db-1 slow?');
    clock.advance(60_000);
    await turn(KEY, first, 'and now?');
    await storage.conversations.remove(KEY); // /new
    clock.advance(60_000);
    await turn(KEY, second, 'rotate the certs');
    await turn(OTHER, newId(), 'another topic');

    const listing = await service.sessions(KEY);
    expect(listing.current).toBe(second);
    expect(listing.sessions.map((s) => [s.sessionId, s.current, s.turns, s.title, s.history])).toEqual([
      [second, true, 1, 'rotate the certs', 'available'],
      [first, false, 2, 'why is db-1 slow?', 'available'],
    ]);

    const switched = await service.switchTo(KEY, first, 'tg:1');
    expect(switched.unchanged).toBe(false);
    const map = await storage.conversations.get(KEY);
    expect(map).toMatchObject({ sessionId: first, turns: 2 });
    expect((await service.switchTo(KEY, first)).unchanged).toBe(true);
  });

  it('refuses sessions of other conversations and tenants, expired and deleted ones, and malformed ids — changing nothing', async () => {
    const mine = newId();
    const theirs = newId();
    const foreign = newId();
    await turn(KEY, mine, 'mine');
    await turn(OTHER, theirs, 'theirs');
    await turn(OTHER_TENANT, foreign, 'foreign');
    const before = await storage.conversations.get(KEY);

    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => err,
      );
    const elsewhere = await refusal(service.switchTo(KEY, theirs));
    expect(elsewhere).toBeInstanceOf(ConversationError);
    expect(elsewhere).toMatchObject({ code: 'session_not_found', status: 404 });
    expect(String((elsewhere as Error).message)).toContain('another conversation');
    expect(await refusal(service.switchTo(KEY, foreign))).toMatchObject({ code: 'session_not_found' });
    expect(await refusal(service.switchTo(KEY, '../../etc/passwd'))).toMatchObject({
      code: 'invalid_id',
      status: 400,
    });

    // Deleted transcript, still catalogued: missing.
    const gone = newId();
    await storage.conversations.remove(KEY);
    await turn(KEY, gone, 'to be lost');
    await storage.conversations.switchTo(KEY, mine, 1);
    await storage.transcripts.delete({ projectKey: 'acme', sessionId: gone });
    expect(await refusal(service.switchTo(KEY, gone))).toMatchObject({
      code: 'session_history_missing',
      status: 410,
    });
    expect((await service.sessions(KEY)).sessions.find((s) => s.sessionId === gone)?.history).toBe('missing');

    // Past the history horizon: expired, listed as such, never resumed.
    clock.advance(26 * DAY_MS);
    expect(await refusal(service.switchTo(OTHER, theirs))).toMatchObject({
      code: 'session_expired',
      status: 410,
    });
    expect((await service.sessions(OTHER)).sessions[0]?.history).toBe('expired');
    expect((await storage.conversations.get(KEY))?.sessionId ?? before?.sessionId).toBe(mine);
  });

  it('refuses a switch while a turn holds the conversation', async () => {
    const a = newId();
    const b = newId();
    await turn(KEY, a, 'a');
    await storage.conversations.remove(KEY);
    await turn(KEY, b, 'b');
    const lease = await storage.leases.acquire(KEY);
    await expect(service.switchTo(KEY, a)).rejects.toMatchObject({ code: 'conversation_busy', status: 409 });
    await storage.leases.release(lease);
    expect((await storage.conversations.get(KEY))?.sessionId).toBe(b);
  });

  it('sets, shows and clears the model and agent; unknown names are refused with the choices', async () => {
    const set = await service.configure(KEY, { model: 'fast', agent: 'triage' });
    expect(set.settings).toEqual({ model: 'fast', agent: 'triage' });
    // A conversation without turns gets a session chosen but not started.
    expect((await storage.conversations.get(KEY))?.turns).toBe(0);
    expect((await service.sessions(KEY)).current).toBeNull();

    await expect(service.configure(KEY, { model: 'gpt-9' })).rejects.toMatchObject({
      code: 'unknown_model',
      message: expect.stringContaining('fast, deep') as unknown as string,
    });
    await expect(service.configure(KEY, { agent: 'nobody' })).rejects.toMatchObject({
      code: 'unknown_agent',
    });
    expect((await service.settings(KEY)).settings).toEqual({ model: 'fast', agent: 'triage' });

    const cleared = await service.configure(KEY, { model: null });
    expect(cleared.settings).toEqual({ agent: 'triage' });
    expect(cleared.stale).toEqual([]);
  });

  it('marks settings the tenant no longer offers as stale', async () => {
    await storage.conversations.configure(KEY, { model: 'retired', agent: 'gone' }, newId());
    expect((await service.settings(KEY)).stale).toEqual(['model', 'agent']);
  });

  it('deletes a session: the current one makes the conversation start afresh, keeping its settings', async () => {
    const id = newId();
    await turn(KEY, id, 'q');
    await service.configure(KEY, { model: 'deep' });
    const deleted = await service.deleteSession(KEY.tenant, id);
    expect(deleted.wasCurrent).toBe(true);
    expect(await storage.transcripts.load({ projectKey: 'acme', sessionId: id })).toBeNull();
    expect(await storage.sessions.get(KEY.tenant, id)).toBeNull();
    const map = await storage.conversations.get(KEY);
    expect(map).toMatchObject({ turns: 0, model: 'deep' });
    expect(map?.sessionId).not.toBe(id);
    await expect(service.deleteSession(KEY.tenant, id)).rejects.toMatchObject({ code: 'session_not_found' });
    await expect(service.deleteSession(OTHER_TENANT.tenant, id)).rejects.toMatchObject({
      code: 'session_not_found',
    });
  });

  it('exports JSONL (the stored entries, one per line) and Markdown, never another tenant’s', async () => {
    const id = newId();
    await turn(KEY, id, 'what broke?');
    const jsonl = await service.exportSession(KEY.tenant, id, 'jsonl');
    expect(jsonl.filename).toBe(`${id}.jsonl`);
    const lines = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['user', 'assistant']);
    const md = await service.exportSession(KEY.tenant, id, 'md');
    expect(md.contentType).toContain('text/markdown');
    expect(md.body).toContain(id);
    await expect(service.exportSession(OTHER_TENANT.tenant, id, 'jsonl')).rejects.toMatchObject({
      code: 'session_not_found',
    });
  });

  it('lists a current session from before the catalog existed from the map record', async () => {
    const id = newId();
    await storage.transcripts.append({ projectKey: 'acme', sessionId: id }, [
      { type: 'user', uuid: randomUUID(), message: { role: 'user', content: 'old' } },
    ]);
    await storage.conversations.touch(KEY, id);
    const listing = await service.sessions(KEY);
    expect(listing.sessions).toHaveLength(1);
    expect(listing.sessions[0]).toMatchObject({
      sessionId: id,
      current: true,
      history: 'available',
      turns: 1,
    });
  });
});
