/**
 * A bounded pool of worker slots shared by tenants, with a fair-share cap: while another tenant's
 * work waits for a slot, a tenant holding `tenantCap` slots or more is given no further one. Work
 * conserving: when every waiter's tenant is at its cap (or only one tenant waits), the oldest waiter
 * gets the slot, so a lone tenant may use every slot and no slot is left idle while anything waits.
 * Slots are not taken back from running work: a tenant above the cap falls back to it as its units
 * end (the same rule as the scale simulation's `fair` dispatcher, bench/scale/dispatcher.ts).
 * Pure: no timers, no I/O; a released slot is handed to its waiter synchronously.
 */
export interface FairSlots {
  /** Run `fn` in a slot of `tenant`, waiting for one if none is free (or the tenant is capped). */
  run<T>(tenant: string, fn: () => Promise<T>): Promise<T>;
  /** Units running now (all tenants, or one). */
  running(tenant?: string): number;
  /** Units waiting for a slot now. */
  waiting(): number;
}

/** Default share of the slots one tenant may hold while others wait. */
export const DEFAULT_TENANT_SHARE = 0.5;

/** The slots one tenant may hold while others wait: ceil(slots × share), at least 1; share ≥ 1 is no cap. */
export function tenantCapOf(slots: number, share: number = DEFAULT_TENANT_SHARE): number {
  if (!(share > 0)) throw new RangeError(`[queue:slots] tenant share must be > 0 (got ${share})`);
  return Math.min(slots, Math.max(1, Math.ceil(slots * share)));
}

export function createFairSlots(slots: number, tenantCap: number = tenantCapOf(slots)): FairSlots {
  if (!(slots >= 1)) throw new RangeError(`[queue:slots] slots must be ≥ 1 (got ${slots})`);
  if (!(tenantCap >= 1)) throw new RangeError(`[queue:slots] tenantCap must be ≥ 1 (got ${tenantCap})`);
  let active = 0;
  const held = new Map<string, number>();
  const queue: Array<{ tenant: string; grant: () => void }> = [];
  const holding = (tenant: string): number => held.get(tenant) ?? 0;
  const take = (tenant: string): void => {
    active++;
    held.set(tenant, holding(tenant) + 1);
  };
  const release = (tenant: string): void => {
    active--;
    const left = holding(tenant) - 1;
    if (left > 0) held.set(tenant, left);
    else held.delete(tenant);
    if (queue.length === 0) return;
    // The oldest waiter whose tenant is under its cap; if there is none, the oldest of all.
    const under = queue.findIndex((w) => holding(w.tenant) < tenantCap);
    const [next] = queue.splice(under < 0 ? 0 : under, 1);
    if (!next) return;
    take(next.tenant); // handed over: the slot never looks free to a newcomer
    next.grant();
  };
  return {
    async run(tenant, fn) {
      // A free slot means nobody waits (a released slot is handed to a waiter at once).
      if (active < slots) take(tenant);
      else await new Promise<void>((grant) => queue.push({ tenant, grant }));
      try {
        return await fn();
      } finally {
        release(tenant);
      }
    },
    running: (tenant) => (tenant === undefined ? active : holding(tenant)),
    waiting: () => queue.length,
  };
}

/**
 * The order in which units received together ask for slots, so that free slots go round the
 * tenants like freed ones do: the k-th conversation of a tenant in the batch sorts by the tenant's
 * running units + k (stable; a conversation's units keep their order and stay together). Without
 * it a batch's first units would take the free slots whatever their tenant holds.
 */
export function fairOrder<T>(
  units: readonly T[],
  groupOf: (unit: T) => string,
  tenantOf: (unit: T) => string,
  running: (tenant: string) => number,
): T[] {
  const rank = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const unit of units) {
    const group = groupOf(unit);
    if (rank.has(group)) continue;
    const tenant = tenantOf(unit);
    const k = seen.get(tenant) ?? 0;
    seen.set(tenant, k + 1);
    rank.set(group, running(tenant) + k);
  }
  return [...units].sort((a, b) => (rank.get(groupOf(a)) ?? 0) - (rank.get(groupOf(b)) ?? 0));
}
