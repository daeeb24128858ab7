import type { ApprovalRecord } from '../types.js';
import { runApprovalConformance, type RawApprovalBackend } from './conformance.js';
import { createMemoryApprovalStore, type MemoryApprovalState } from './memory.js';

/** Reads the memory store's maps directly, with its own key spelling. */
function memoryRaw(state: MemoryApprovalState): RawApprovalBackend {
  return {
    async readApproval(tenant, id) {
      const row = state.records.get(`${tenant}#${id}`);
      if (!row) return null;
      const r = JSON.parse(row.json) as ApprovalRecord;
      return {
        conversation: `${r.key.tenant}:${r.key.chat}:${r.key.thread}`,
        status: r.status,
        input: r.input,
        summary: r.summary,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        keepUntil: row.keepUntil,
        ...(r.resolvedAt !== undefined ? { resolvedAt: r.resolvedAt } : {}),
        ...(r.resolvedBy !== undefined ? { resolvedBy: r.resolvedBy } : {}),
        ...(r.resolvedByRequest !== undefined ? { resolvedByRequest: r.resolvedByRequest } : {}),
        ...(r.notice !== undefined ? { notice: r.notice } : {}),
      };
    },
    async readGrants(conversation, sessionId) {
      const row = state.grants.get(`${conversation}#${sessionId}`);
      return row ? { rules: [...row.rules], expiresAt: row.expiresAt } : null;
    },
    async listKeys() {
      return [...state.records.keys(), ...state.grants.keys()];
    },
  };
}

runApprovalConformance({
  name: 'memory',
  async create({ clock, retentionDays }) {
    const store = createMemoryApprovalStore({ clock, retentionDays });
    return { store, raw: memoryRaw(store.state), clock, async cleanup() {} };
  },
});
