import { runScheduleConformance, type RawScheduleBackend } from './conformance.js';
import { TENANTS } from './conformance/fixtures.js';
import {
  createMemoryClaimStore,
  createMemoryScheduleStore,
  type MemoryClaimState,
  type MemoryScheduleState,
} from './memory.js';

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
    const schedules = createMemoryScheduleStore();
    const claims = createMemoryClaimStore({ clock });
    return { schedules, claims, raw: memoryRaw(schedules.state, claims.state), clock, async cleanup() {} };
  },
});
