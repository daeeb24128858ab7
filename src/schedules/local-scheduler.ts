import type { Clock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { ConversationQueue } from '../queue/types.js';
import { missedRunsText, planTick } from './catch-up.js';
import { isActive, type ScheduleRecord, type ScheduleStore } from './types.js';
import { scheduledWork } from './work.js';

export interface LocalSchedulerOptions {
  store: ScheduleStore;
  tenants: readonly TenantId[];
  queue: ConversationQueue;
  clock: Clock;
  /** Tells the schedule's chat something (missed runs); the app sends it with the tenant's bot. */
  notify: (record: ScheduleRecord, text: string) => Promise<void>;
  logger: Logger;
  /** Between ticks (default 15 s). */
  tickMs?: number;
}

export interface LocalScheduler {
  /** Ticks now and every `tickMs` (an unref'd timer: it never keeps the process alive). */
  start(): void;
  /** Stops the timer; resolves when a tick in progress has finished. */
  stop(): Promise<void>;
  /** One pass over every tenant's schedules. Calls are serialised: one tick at a time. */
  tick(): Promise<void>;
}

export const DEFAULT_TICK_MS = 15_000;

/**
 * The scheduler of `npm start` (on AWS, EventBridge Scheduler puts the runs on the queue instead).
 * Each tick reads every tenant's schedules from the store and, per active schedule, follows
 * `planTick`: bookmark a new one, enqueue the latest due run (`scheduledWork`) and report missed
 * ones through `notify`. The bookmark (`markDue`) moves only after the enqueue succeeded, so a
 * failed enqueue is retried on the next tick and a due time is never enqueued twice. Paused and
 * disabled schedules run nothing; their bookmark follows the clock so that resuming one does not
 * report its pause as missed runs.
 */
export function createLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const { store, queue, clock, notify } = options;
  const logger = options.logger.child({ component: 'local-scheduler' });
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  let timer: ReturnType<typeof setInterval> | undefined;
  let last: Promise<void> = Promise.resolve();
  let inFlight = 0;

  async function runOne(record: ScheduleRecord, now: number): Promise<void> {
    const plan = planTick(record, now);
    if (plan.kind === 'idle') return;
    if (plan.kind === 'bookmark') {
      await store.markDue(record.tenant, record.name, plan.at);
      return;
    }
    if (!isActive(record)) {
      await store.markDue(record.tenant, record.name, plan.dueAt);
      return;
    }
    if (plan.kind === 'run') await queue.enqueue(scheduledWork(record, plan.dueAt));
    await store.markDue(record.tenant, record.name, plan.dueAt);
    if (plan.missed) {
      const text = missedRunsText(record, plan.missed, now, plan.kind === 'run' ? plan.dueAt : undefined);
      await notify(record, text).catch((err: unknown) => {
        logger.warn('could not report missed runs', { tenant: record.tenant, schedule: record.name, err });
      });
    }
    if (plan.kind === 'skip') {
      logger.info('stale run skipped', { tenant: record.tenant, schedule: record.name, dueAt: plan.dueAt });
    }
  }

  async function runTick(): Promise<void> {
    const now = clock.now();
    for (const tenant of options.tenants) {
      let records: ScheduleRecord[];
      try {
        records = await store.list(tenant);
      } catch (err) {
        logger.error('cannot read schedules', { tenant, err });
        continue;
      }
      for (const record of records) {
        try {
          await runOne(record, now);
        } catch (err) {
          // A failed enqueue moved nothing: the next tick tries again. A bookmark that failed after
          // the enqueue makes the next tick enqueue the same due time once more, which the worker's
          // turn ledger (request id `sch:<name>:<due time>`) runs only once.
          logger.error('schedule tick failed', { tenant, schedule: record.name, err });
        }
      }
    }
  }

  function tick(): Promise<void> {
    inFlight += 1;
    const next = last.then(runTick).finally(() => {
      inFlight -= 1;
    });
    last = next.catch(() => undefined);
    return next;
  }

  return {
    start() {
      if (timer) return;
      // A tick catches its own failures; this guard keeps a throwing logger from crashing the process.
      const background = () => void tick().catch(() => undefined);
      background();
      timer = setInterval(() => {
        if (inFlight === 0) background(); // ticks never pile up behind a slow one
      }, tickMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await last;
    },
    tick,
  };
}
