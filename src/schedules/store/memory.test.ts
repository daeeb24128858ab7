import { runScheduleConformance, type RawScheduleBackend } from './conformance.js';
import { TENANTS } from './conformance/fixtures.js';
import { createMemoryStorage } from '../../sessions/adapters/memory/index.js';
import type { MemoryClaimState, MemoryScheduleState } from './memory.js';

/** Reads the memory stores' maps directly, with its own key spelling. */
function memoryRaw(schedules: MemoryScheduleState, claims: MemoryClaimState): RawScheduleBackend {
  return {
    async readSchedule(tenant, name) {
      const r = schedules.get(`${tenant}\n${name}`);
      return r ? structuredClone(r) : null;
    },
    async readClaim(tenant, key) {
      const c = claims.get(`${tenant}\n${key}`);
      return c ? { ...c } : null;
    },
    async listKeys() {
      const keys = [...schedules.keys(), ...claims.keys()];
      // Only the suite's tenants are ever written.
      for (const key of keys)
        if (!TENANTS.some((t) => key.startsWith(`${t}\n`)))
          throw new Error(`raw: key of another tenant: ${key}`);
      return keys;
    },
  };
}

runScheduleConformance({
  name: 'memory',
  async create({ clock }) {
    // Built the way the app builds it: through the memory storage, whose state the raw reads see.
    const storage = createMemoryStorage({ clock });
    return {
      schedules: storage.schedules,
      claims: storage.claims,
      raw: memoryRaw(storage.state.schedules, storage.state.claims),
      clock,
      async cleanup() {},
    };
  },
});
