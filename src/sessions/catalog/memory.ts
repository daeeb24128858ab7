import type { Clock } from '../../core/clock.js';
import { parseSessionId, parseTenantId } from '../../core/ids.js';
import type { SessionCatalog, SessionInfo } from '../types.js';
import {
  catalogEntry,
  catalogKey,
  catalogQuery,
  isKept,
  matches,
  newestFirst,
  sessionExists,
  withTurn,
} from './rules.js';

/** Entries keyed by `tenant#sessionId`. */
export type MemoryCatalogState = Map<string, SessionInfo>;

const id = (tenant: string, sessionId: string): string => `${tenant}#${sessionId}`;
const copy = (info: SessionInfo): SessionInfo => ({ ...info, key: { ...info.key } });

/**
 * The session catalog in process memory (tests, single-process dev runs). Ids are checked like the
 * durable backends check them, so a test on memory fails where they would.
 */
export function createMemorySessionCatalog(state: MemoryCatalogState, clock: Clock): SessionCatalog {
  const live = (info: SessionInfo | undefined): SessionInfo | null =>
    info && isKept(info, clock.now()) ? copy(info) : null;

  return {
    async recordTurn(key, sessionId, turn) {
      const k = catalogKey(key);
      const sid = parseSessionId(sessionId);
      const next = withTurn(live(state.get(id(k.tenant, sid))), k, sid, turn);
      state.set(id(k.tenant, sid), next);
      return copy(next);
    },
    async create(info) {
      const entry = catalogEntry(info);
      if (live(state.get(id(entry.key.tenant, entry.sessionId)))) throw sessionExists(entry.sessionId);
      state.set(id(entry.key.tenant, entry.sessionId), copy(entry));
    },
    async get(tenant, sessionId) {
      return live(state.get(id(parseTenantId(tenant), parseSessionId(sessionId))));
    },
    async list(tenant, filter) {
      const t = parseTenantId(tenant);
      const query = catalogQuery(filter);
      return [...state.values()]
        .filter((info) => info.key.tenant === t && matches(info, query))
        .flatMap((info) => live(info) ?? [])
        .sort(newestFirst)
        .slice(0, query.limit);
    },
    async remove(tenant, sessionId) {
      const name = id(parseTenantId(tenant), parseSessionId(sessionId));
      const found = live(state.get(name));
      state.delete(name);
      return found;
    },
  };
}
