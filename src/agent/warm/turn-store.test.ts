import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../sessions/adapters/memory/index.js';
import { conversationKey } from '../../core/keys.js';
import { createProcessStore } from './turn-store.js';

const main: SessionKey = { projectKey: 'acme', sessionId: '7a1f0c4e-2b7d-4f2e-9a51-3c1d2e4f5a6b' };
const entry = (uuid: string | undefined): SessionStoreEntry => ({
  type: 'user',
  ...(uuid ? { uuid } : {}),
  message: { role: 'user', content: uuid ?? 'no uuid' },
});

describe('the session store of a live process', () => {
  it('writes only through the turn’s fenced store; between turns writes are dropped and reported', async () => {
    const storage = createMemoryStorage();
    const lease = await storage.leases.acquire(conversationKey({ tenant: 'acme', chat: 'c1' }));
    const dropped: number[] = [];
    const ps = createProcessStore(storage.transcripts, (_key, n) => dropped.push(n));

    await ps.store.append(main, [entry('u1')]);
    await ps.store.delete(main);
    expect(dropped).toEqual([1, 0]);
    expect(await storage.transcripts.load(main)).toBeNull();

    ps.beginTurn(storage.transcriptsFor(lease));
    await ps.store.append(main, [entry('u1'), entry('u2')]);
    const writes = await ps.endTurn();
    expect(writes.appends).toBe(1);
    expect(writes.mainEntries).toHaveLength(2);
    expect(await storage.transcripts.load(main)).toHaveLength(2);
  });

  it('counts stored entries as the stores do: a uuid already stored is not counted again', async () => {
    const storage = createMemoryStorage();
    const lease = await storage.leases.acquire(conversationKey({ tenant: 'acme', chat: 'c2' }));
    const ps = createProcessStore(storage.transcripts, () => {});
    ps.beginTurn(storage.transcriptsFor(lease));
    await ps.store.append(main, [entry('u1'), entry('u2')]);
    await ps.store.append(main, [entry('u2'), entry('u3'), entry(undefined)]); // u2 re-sent
    await ps.endTurn();
    expect(ps.mainEntries()).toBe(4);
    expect((await storage.transcripts.stat(main))?.entries).toBe(4);
  });
});
