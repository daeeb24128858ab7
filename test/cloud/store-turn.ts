import { randomUUID } from 'node:crypto';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { parseRequestId, parseSessionId } from '../../src/core/ids.js';
import type { ConversationKey } from '../../src/core/keys.js';
import type { Storage } from '../../src/sessions/types.js';
import { transcriptEntries } from '../support/cloud-world.js';

/**
 * The session-store operations of one turn, in the runner's order (src/agent/runner.ts,
 * exactly-once.ts): lease, ledger lookup, map lookup, ledger `started`, resume (load), the SDK's
 * two appends (the turn's entries — a table part — and its small `cost-state` batch, kept inline),
 * map touch, catalog entry, ledger `done` + `delivered`, lease release. No model, no binary: what
 * the storage layer sees of a turn.
 */
export async function storeTurn(
  storage: Storage,
  key: ConversationKey,
  n: number,
  at: number,
): Promise<void> {
  const requestId = parseRequestId(`tg:${n}`);
  const lease = await storage.leases.acquire(key, { ttlMs: 60_000, waitMs: 5_000 });
  try {
    await storage.turns.get(key, requestId);
    const map = await storage.conversations.get(key);
    const sessionId = parseSessionId(map?.sessionId ?? randomUUID());
    await storage.turns.begin(key, requestId, { sessionId, entriesBefore: 0, turnsBefore: map?.turns ?? 0 });
    const transcripts = storage.transcriptsFor(lease);
    const sessionKey = { projectKey: key.tenant, sessionId };
    await transcripts.load(sessionKey);
    await transcripts.append(sessionKey, transcriptEntries(`turn-${n}`, 4, 1500));
    const cost: SessionStoreEntry = {
      type: 'cost-state',
      uuid: randomUUID(),
      timestamp: new Date().toISOString(),
    };
    await transcripts.append(sessionKey, [cost]);
    await storage.conversations.touch(key, sessionId);
    await storage.sessions.recordTurn(key, sessionId, {
      at,
      title: `q${n}`,
      costUsd: 0.01,
      model: 'sonnet',
    });
    await storage.turns.complete(key, requestId, JSON.stringify({ response: `answer ${n}` }));
    await storage.turns.markDelivered(key, requestId);
  } finally {
    await storage.leases.release(lease);
  }
}
