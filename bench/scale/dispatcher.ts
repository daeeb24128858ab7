import type { Simulation } from './event-queue.js';
import { createHeap, type Heap } from './heap.js';

/** What the dispatcher needs to know of a queued item. */
export interface QueuedJob {
  /** Message group (one conversation): at most one job of a group runs at a time. */
  group: number;
  /** Tenant, for fair share. */
  tenant: number;
  /** When it was enqueued (seconds). */
  arrival: number;
}

/**
 * How free slots pick the next group:
 * - `arrival`: the group whose head message is oldest — what one SQS FIFO queue does, so a tenant
 *   flooding many groups takes slots in proportion to its share of the backlog;
 * - `fair`: the same, but while other tenants wait a tenant holds at most `tenantShare` of the
 *   slots (fair share): its other groups are parked until one of its turns ends.
 */
export type DispatchPolicy = 'arrival' | 'fair';

export interface DispatcherOptions<J extends QueuedJob> {
  sim: Simulation;
  /** Jobs in flight at most (Lambda maximum concurrency, consumer maxInFlight). */
  slots: number;
  policy: DispatchPolicy;
  /** With `fair`: the share of the slots one tenant may hold (default 0.25; at least one slot). */
  tenantShare?: number;
  /**
   * Called when a job gets a slot; it must call `done` exactly once when it releases the slot.
   * `slotWaitS` is how long the job waited for a slot once it was first in its group (the rest of
   * its queue delay it waited behind its own conversation).
   */
  start(job: J, done: () => void, slotWaitS: number): void;
}

export interface Dispatcher<J extends QueuedJob> {
  submit(job: J): void;
  readonly inFlight: number;
  readonly queued: number;
  /** Largest number of jobs of one group ever running at once (must stay ≤ 1). */
  readonly maxGroupConcurrency: number;
}

interface GroupState<J> {
  jobs: J[];
  head: number;
  busy: boolean;
  /** Jobs of this group running now (the FIFO invariant: never above 1). */
  running: number;
  tenant: number;
  /** When the group last became ready (its head job waiting for a slot). */
  readySince: number;
}

/**
 * The per-conversation FIFO in front of a bounded pool of workers: jobs of a group run in order,
 * one at a time; different groups run concurrently up to `slots`.
 */
export function createDispatcher<J extends QueuedJob>(options: DispatcherOptions<J>): Dispatcher<J> {
  const groups = new Map<number, GroupState<J>>();
  const byHead = (a: GroupState<J>, b: GroupState<J>): boolean =>
    (a.jobs[a.head] as J).arrival < (b.jobs[b.head] as J).arrival;
  const ready = createHeap<GroupState<J>>(byHead);
  const cap =
    options.policy === 'fair'
      ? Math.max(1, Math.ceil(options.slots * (options.tenantShare ?? 0.25)))
      : Infinity;
  const tenantInFlight = new Map<number, number>();
  const parked = new Map<number, Heap<GroupState<J>>>();
  let inFlight = 0;
  let queued = 0;
  let maxGroupConcurrency = 0;

  const markReady = (g: GroupState<J>): void => {
    g.readySince = options.sim.now;
    ready.push(g);
  };

  /**
   * The oldest ready group whose tenant is under its cap; capped tenants' groups are parked. Work
   * conserving: when nothing else is ready, the oldest parked group runs anyway (a cap only ever
   * makes room for other tenants, it never leaves a slot idle).
   */
  const nextReady = (): GroupState<J> | undefined => {
    for (let g = ready.pop(); g !== undefined; g = ready.pop()) {
      if ((tenantInFlight.get(g.tenant) ?? 0) < cap) return g;
      let heap = parked.get(g.tenant);
      if (!heap) {
        heap = createHeap<GroupState<J>>(byHead);
        parked.set(g.tenant, heap);
      }
      heap.push(g);
    }
    let oldest: Heap<GroupState<J>> | undefined;
    for (const heap of parked.values()) {
      const head = heap.peek();
      if (head && (!oldest || byHead(head, oldest.peek() as GroupState<J>))) oldest = heap;
    }
    return oldest?.pop();
  };

  const pump = (): void => {
    while (inFlight < options.slots) {
      const g = nextReady();
      if (!g) return;
      const job = g.jobs[g.head] as J;
      g.jobs[g.head] = undefined as unknown as J;
      g.head++;
      g.busy = true;
      inFlight++;
      queued--;
      g.running++;
      tenantInFlight.set(g.tenant, (tenantInFlight.get(g.tenant) ?? 0) + 1);
      maxGroupConcurrency = Math.max(maxGroupConcurrency, g.running);
      let finished = false;
      const slotWait = options.sim.now - Math.max(g.readySince, job.arrival);
      options.start(
        job,
        () => {
          if (finished) throw new Error('[scale:dispatcher] done() called twice');
          finished = true;
          inFlight--;
          g.running--;
          tenantInFlight.set(g.tenant, (tenantInFlight.get(g.tenant) ?? 1) - 1);
          // The tenant has a free slot again: its oldest parked group competes once more.
          const oldest = parked.get(g.tenant)?.pop();
          if (oldest) ready.push(oldest);
          g.busy = false;
          if (g.head < g.jobs.length) markReady(g);
          else {
            g.jobs = [];
            g.head = 0;
          }
          options.sim.after(0, pump);
        },
        slotWait,
      );
    }
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queued;
    },
    get maxGroupConcurrency() {
      return maxGroupConcurrency;
    },
    submit(job) {
      let g = groups.get(job.group);
      if (!g) {
        g = { jobs: [], head: 0, busy: false, running: 0, tenant: job.tenant, readySince: 0 };
        groups.set(job.group, g);
      }
      const wasIdle = !g.busy && g.head >= g.jobs.length;
      g.jobs.push(job);
      queued++;
      if (wasIdle) markReady(g);
      pump();
    },
  };
}
