import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { SessionHistoryError, errorMessage } from '../core/errors.js';
import type { TranscriptStore } from '../sessions/types.js';

/**
 * Wraps the store handed to the SDK for one turn:
 * - on resume, a main transcript that is missing or empty is a `SessionHistoryError` (the SDK then
 *   throws before spawning) — never a silent fresh session;
 * - remembers the cumulative cost saved in the transcript (`cost-state`), because the SDK's
 *   `total_cost_usd` on a resumed session includes every earlier turn.
 */
export interface VerifiedStore {
  store: TranscriptStore;
  /** The failure raised by `load()`, if any (the SDK's own error message is less precise). */
  loadFailure(): Error | undefined;
  /** Cumulative cost before this turn (0 for a new session). */
  costBefore(): number;
}

export function verifiedStore(
  inner: TranscriptStore,
  expect: { resume: boolean; describe: string },
): VerifiedStore {
  let failure: Error | undefined;
  let costBefore = 0;

  const load = async (key: SessionKey): Promise<SessionStoreEntry[] | null> => {
    let entries: SessionStoreEntry[] | null;
    try {
      entries = await inner.load(key);
    } catch (err) {
      failure =
        err instanceof SessionHistoryError
          ? err
          : new SessionHistoryError(
              `[agent] the history of ${expect.describe} could not be loaded: ${errorMessage(err)}`,
              { cause: err },
            );
      throw failure;
    }
    if (key.subpath === undefined && expect.resume && (entries === null || entries.length === 0)) {
      failure = new SessionHistoryError(
        `[agent] ${expect.describe} points to session ${key.sessionId}, but its history is missing from the store`,
      );
      throw failure;
    }
    if (key.subpath === undefined && entries) costBefore = lastCost(entries);
    return entries;
  };

  const store: TranscriptStore = {
    append: (key, entries) => inner.append(key, entries),
    load,
    listSessions: (projectKey) => inner.listSessions(projectKey),
    listSubkeys: (key) => inner.listSubkeys(key),
    delete: (key) => inner.delete(key),
    stat: (key) => inner.stat(key),
  };
  return { store, loadFailure: () => failure, costBefore: () => costBefore };
}

function lastCost(entries: SessionStoreEntry[]): number {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.type === 'cost-state' && typeof entry.totalCostUSD === 'number') return entry.totalCostUSD;
  }
  return 0;
}
