import type { Storage } from '../sessions/types.js';
import type { ProactiveStores } from '../telegram/worker/proactive.js';

/** What a worker needs for scheduled runs and alert investigations: the storage's schedules and claims. */
export function proactiveStoresOf(storage: Pick<Storage, 'schedules' | 'claims'>): ProactiveStores {
  return { schedules: storage.schedules, claims: storage.claims };
}
