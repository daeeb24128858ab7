import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { ManualClock } from '../../../core/clock.js';
import type { TenantId } from '../../../core/ids.js';
import { runStorageConformance, type RawBackend } from '../../conformance.js';
import { createMemoryStorage, type MemoryState } from './index.js';

/** Reads the memory backend's maps directly, with its own key naming. */
function memoryRaw(state: MemoryState): RawBackend {
  const streamKeys = () => [...state.streams.keys()];
  return {
    async readEntries(key) {
      const stream = state.streams.get([key.projectKey, key.sessionId, key.subpath ?? ''].join('#'));
      return stream ? stream.lines.map((line) => JSON.parse(line) as SessionStoreEntry) : null;
    },
    async listTenantKeys(tenant: TenantId) {
      const mine = (k: string, sep: string) => k.startsWith(`${tenant}${sep}`);
      return [
        ...[...state.streams].filter(([, s]) => s.tenant === tenant).map(([k]) => k),
        ...[...state.conversations.keys()].filter((k) => mine(k, ':')),
        ...[...state.leases.keys()].filter((k) => mine(k, ':')),
        ...[...state.turns.keys()].filter((k) => mine(k, ':')),
        ...[...state.catalog.keys()].filter((k) => mine(k, '#')),
      ];
    },
    async readConversation(key) {
      const record = state.conversations.get(`${key.tenant}:${key.chat}:${key.thread}`);
      if (!record) return null;
      return {
        sessionId: record.sessionId,
        expiresAt: record.expiresAt,
        turns: record.turns,
        ...(record.pendingApproval === undefined ? {} : { pendingApproval: record.pendingApproval }),
        ...(record.model === undefined ? {} : { model: record.model }),
        ...(record.agent === undefined ? {} : { agent: record.agent }),
      };
    },
    async readSession(key, sessionId) {
      const info = state.catalog.get(`${key.tenant}#${sessionId}`);
      if (!info || info.key.chat !== key.chat || info.key.thread !== key.thread) return null;
      const { key: k, ...rest } = info;
      return { tenant: k.tenant, chat: k.chat, thread: k.thread, ...rest };
    },
    async readTurn(key, requestId) {
      const t = state.turns.get(`${key.tenant}:${key.chat}:${key.thread}#${requestId}`);
      if (!t) return null;
      const { state: turnState, sessionId, entriesBefore, delivered, expiresAt } = t;
      return { state: turnState, sessionId, entriesBefore, result: t.result ?? null, delivered, expiresAt };
    },
    async listAllKeys() {
      return [
        ...streamKeys(),
        ...state.conversations.keys(),
        ...state.leases.keys(),
        ...state.turns.keys(),
        ...state.catalog.keys(),
      ];
    },
  };
}

runStorageConformance({
  name: 'memory',
  mtimeFromClock: true,
  async create() {
    const clock = new ManualClock();
    const storage = createMemoryStorage({ clock });
    return { storage, raw: memoryRaw(storage.state), clock, cleanup: () => storage.close() };
  },
});
