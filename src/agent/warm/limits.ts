import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** Resident memory of one idle live `claude` child, rounded up from the 185–215 MB measured here. */
export const WARM_CHILD_BYTES = 220 * 2 ** 20;
const MB = 2 ** 20;
/** The most live processes any host keeps by default (more needs `OMNICLOUD_WARM_MAX`). */
const DEFAULT_CAP = 16;

export interface MemoryBudget {
  /** Memory the host may use in bytes (container limit, Lambda size or the machine's RAM). */
  bytes: number;
  /** Held back for the host process itself and one turn's cold child. */
  reserveBytes: number;
  /** Share of the rest the pool may fill. */
  share: number;
}

/**
 * The memory budget of this host: in Lambda the function's size (all of it is ours, minus the
 * Node process and one extra child); elsewhere the cgroup limit if there is one, else the
 * machine's RAM, of which the pool takes half (a laptop runs other things).
 */
export function hostMemoryBudget(lambdaMemoryMb: number | undefined): MemoryBudget {
  if (lambdaMemoryMb !== undefined) {
    return { bytes: lambdaMemoryMb * MB, reserveBytes: 400 * MB, share: 1 };
  }
  const limit = cgroupLimitBytes();
  const bytes = limit !== undefined ? Math.min(limit, totalmem()) : totalmem();
  return { bytes, reserveBytes: 400 * MB, share: limit !== undefined ? 1 : 0.5 };
}

/** How many live processes fit the budget: e.g. 2 in a 1,024 MB Lambda, 11 in 3,008 MB, 16 (the cap) on a 24 GB machine. */
export function warmMaxFor(budget: MemoryBudget): number {
  const usable = Math.max(0, budget.bytes - budget.reserveBytes) * budget.share;
  return Math.min(DEFAULT_CAP, Math.floor(usable / WARM_CHILD_BYTES));
}

/** cgroup v2 (`memory.max`) or v1 limit of this container, if one is set. */
function cgroupLimitBytes(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const n = Number(text);
      // v1 reports "no limit" as a huge number.
      if (Number.isFinite(n) && n > 0 && n < 2 ** 50) return n;
    } catch {
      // Not there: try the next one.
    }
  }
  return undefined;
}
