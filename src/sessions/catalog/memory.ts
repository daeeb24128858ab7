import type { Clock } from '../../core/clock.js';
import type { SessionCatalog, SessionInfo } from '../types.js';
import { isKept, listLimit, matches, newestFirst, sessionExists, withTurn } from './rules.js';

/** Entries keyed by `tenant#sessionId`. */
export type MemoryCatalogState = Map<string, SessionInfo>;

const id = (tenant: string, sessionId: string): string => `${tenant}#${sessionId}`;
const copy = (info: SessionInfo): SessionInfo => ({ ...info, key: { ...info.key } });

/** The session catalog in process memory (tests, single-process dev runs). */
export function createMemorySessionCatalog(state: MemoryCatalogState, clock: Clock): SessionCatalog {
  const live = (info: SessionInfo | undefined): SessionInfo | null =>
    info && isKept(info, clock.now()) ? copy(info) : null;

  return {
    async recordTurn(key, sessionId, turn) {
      const next = withTurn(live(state.get(id(key.tenant, sessionId))), key, sessionId, turn);
      state.set(id(key.tenant, sessionId), next);
      return copy(next);
    },
    async create(info) {
      if (live(state.get(id(info.key.tenant, info.sessionId)))) throw sessionExists(info.sessionId);
      state.set(id(info.key.tenant, info.sessionId), copy(info));
    },
    async get(tenant, sessionId) {
      return live(state.get(id(tenant, sessionId)));
    },
    async list(tenant, filter) {
      return [...state.values()]
        .filter((info) => info.key.tenant === tenant && matches(info, filter))
        .flatMap((info) => live(info) ?? [])
        .sort(newestFirst)
        .slice(0, listLimit(filter));
    },
    async remove(tenant, sessionId) {
      const found = live(state.get(id(tenant, sessionId)));
      state.delete(id(tenant, sessionId));
      return found;
    },
  };
}
