import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { parseTenantId, type TenantId } from '../core/ids.js';
import { createLogger } from '../core/logger.js';
import type { ConversationQueue, QueuedMessage } from '../queue/types.js';
import { createLocalScheduler, type LocalScheduler } from './local-scheduler.js';
import { parseScheduleSpec } from './spec.js';
import { createMemoryScheduleStore } from './store/memory.js';
import type { ScheduleName, ScheduleStore } from './types.js';

const acme = parseTenantId('acme');
const globex = parseTenantId('globex');
const M = 60_000;
const H = 60 * M;
/** Tue 2026-12-01 09:00 in Berlin (CET) is 08:00 UTC. */
const NINE = Date.UTC(2026, 11, 1, 8);

/** A queue that records what it accepted and refuses while `failing` is set. */
function recordingQueue() {
  const items: QueuedMessage[] = [];
  const state = { failing: false };
  const queue: ConversationQueue = {
    async enqueue(message) {
      if (state.failing) throw new Error('queue full');
      items.push(message);
    },
  };
  return { queue, items, state };
}

const dueTimes = (items: QueuedMessage[]) =>
  items.map((m) => (m.kind === 'scheduled' ? `${m.source.schedule}@${m.source.dueAt}` : m.kind));

describe('createLocalScheduler', () => {
  let store: ScheduleStore;
  let clock: ManualClock;
  let q: ReturnType<typeof recordingQueue>;
  let notices: string[];
  let logs: string[];
  let scheduler: LocalScheduler;

  beforeEach(() => {
    store = createMemoryScheduleStore();
    clock = new ManualClock(NINE - H);
    q = recordingQueue();
    notices = [];
    logs = [];
    scheduler = createLocalScheduler({
      store,
      tenants: [acme, globex],
      queue: q.queue,
      clock,
      notify: async (record, text) => {
        notices.push(`${record.tenant}/${record.target.chat}: ${text}`);
      },
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    });
  });

  async function add(
    name: string,
    over: Record<string, unknown> = {},
    extra: { tenant?: TenantId; paused?: boolean; lastDueAt?: number } = {},
  ) {
    const spec = parseScheduleSpec({
      name,
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      prompt: 'p',
      target: { chat: 42 },
      ...over,
    });
    await store.put({
      ...spec,
      tenant: extra.tenant ?? acme,
      origin: 'config',
      paused: extra.paused ?? false,
      createdBy: 'config',
      createdAt: clock.now(),
      updatedAt: clock.now(),
      version: 0,
      ...(extra.lastDueAt !== undefined ? { lastDueAt: extra.lastDueAt } : {}),
    });
  }
  const bookmark = async (name: string, tenant: TenantId = acme) =>
    (await store.get(tenant, name as ScheduleName))?.lastDueAt;

  it('bookmarks a new schedule without running it', async () => {
    await add('a');
    await scheduler.tick();
    expect(await bookmark('a')).toBe(NINE - H);
    expect(q.items).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('enqueues a due run once, on its lane, and moves the bookmark', async () => {
    await add('a');
    await scheduler.tick();
    clock.set(NINE + 10_000);
    await scheduler.tick();
    await scheduler.tick();
    clock.advance(15_000);
    await scheduler.tick();
    expect(q.items).toEqual([
      {
        kind: 'scheduled',
        key: { tenant: 'acme', chat: '42', thread: 'sched-a' },
        source: { type: 'schedule', schedule: 'a', dueAt: '2026-12-01T08:00:00Z' },
      },
    ]);
    expect(await bookmark('a')).toBe(NINE);
    expect(notices).toEqual([]);
  });

  it('reports missed runs once at start-up and does not replay them', async () => {
    await add('morning-alarms', {}, { lastDueAt: NINE });
    await add('old-news', { cron: '0 6 * * *' }, { lastDueAt: NINE - 3 * H });
    clock.set(NINE + 3 * 24 * H + 10 * M); // Fri 09:10 Berlin: Wed, Thu missed, Fri due
    await scheduler.tick();
    await scheduler.tick();
    expect(dueTimes(q.items)).toEqual(['morning-alarms@2026-12-04T08:00:00Z']);
    expect(notices).toEqual(
      [
        '⏰ morning-alarms: 2 runs were missed while the app was not running (last due Thu 2026-12-03 09:00 Europe/Berlin); they are not replayed. Running the one due Fri 2026-12-04 09:00 now.',
        '⏰ old-news: 3 runs were missed while the app was not running (last due Fri 2026-12-04 06:00 Europe/Berlin); they are not replayed. Next run: Sat 2026-12-05 06:00.',
      ].map((text) => `acme/42: ${text}`),
    );
    expect(await bookmark('old-news')).toBe(Date.UTC(2026, 11, 4, 5));
  });

  it('ignores paused and disabled schedules, and resuming one reports no missed runs', async () => {
    await add('paused', {}, { paused: true, lastDueAt: NINE - 24 * H });
    await add('disabled', { enabled: false }, { lastDueAt: NINE - 24 * H });
    clock.set(NINE + M);
    await scheduler.tick();
    expect(q.items).toEqual([]);
    expect(notices).toEqual([]);
    expect(await bookmark('paused')).toBe(NINE); // due times pass silently while paused
    await store.put({ ...(await store.get(acme, 'paused' as ScheduleName))!, paused: false });
    clock.set(NINE + 24 * H + M);
    await scheduler.tick();
    expect(dueTimes(q.items)).toEqual(['paused@2026-12-02T08:00:00Z']);
    expect(notices).toEqual([]);
  });

  it('retries a failed enqueue on the next tick, bookmark unmoved until it succeeds', async () => {
    await add('a', {}, { lastDueAt: NINE - 24 * H });
    clock.set(NINE + 5_000);
    q.state.failing = true;
    await scheduler.tick();
    expect(await bookmark('a')).toBe(NINE - 24 * H);
    expect(logs.some((l) => l.includes('schedule tick failed') && l.includes('queue full'))).toBe(true);
    q.state.failing = false;
    clock.advance(15_000);
    await scheduler.tick();
    expect(dueTimes(q.items)).toEqual(['a@2026-12-01T08:00:00Z']);
    expect(await bookmark('a')).toBe(NINE);
    expect(notices).toEqual([]);
  });

  it('never enqueues a due time twice when ticks are called concurrently', async () => {
    await add('a', {}, { lastDueAt: NINE - 24 * H });
    await add('b', { every: '15m', cron: undefined }, { lastDueAt: NINE - 15 * M });
    clock.set(NINE + M);
    await Promise.all([scheduler.tick(), scheduler.tick(), scheduler.tick()]);
    expect(dueTimes(q.items).sort()).toEqual(['a@2026-12-01T08:00:00Z', 'b@2026-12-01T08:00:00Z']);
  });

  it('a store failure for one tenant does not stop the others', async () => {
    await add('a', {}, { tenant: globex, lastDueAt: NINE - 24 * H });
    const broken = createLocalScheduler({
      store: {
        ...store,
        list: async (tenant) => {
          if (tenant === acme) throw new Error('disk I/O error');
          return store.list(tenant);
        },
      },
      tenants: [acme, globex],
      queue: q.queue,
      clock,
      notify: async () => undefined,
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    });
    clock.set(NINE + M);
    await broken.tick();
    expect(q.items).toEqual([
      {
        kind: 'scheduled',
        key: { tenant: 'globex', chat: '42', thread: 'sched-a' },
        source: { type: 'schedule', schedule: 'a', dueAt: '2026-12-01T08:00:00Z' },
      },
    ]);
    expect(logs.some((l) => l.includes('cannot read schedules') && l.includes('disk I/O error'))).toBe(true);
  });

  it('a failed notice is logged, the run and the bookmark stand', async () => {
    const noisy = createLocalScheduler({
      store,
      tenants: [acme],
      queue: q.queue,
      clock,
      notify: async () => {
        throw new Error('bot blocked');
      },
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    });
    await add('a', {}, { lastDueAt: NINE - 48 * H });
    clock.set(NINE + M);
    await noisy.tick();
    await noisy.tick();
    expect(dueTimes(q.items)).toEqual(['a@2026-12-01T08:00:00Z']);
    expect(await bookmark('a')).toBe(NINE);
    expect(logs.filter((l) => l.includes('could not report missed runs'))).toHaveLength(1);
  });

  it('gives the right UTC due time across the spring-forward day in Europe/Berlin', async () => {
    // Sat 2026-03-28 09:00 CET = 08:00 UTC; Sun 2026-03-29 09:00 CEST = 07:00 UTC.
    await add('a', {}, { lastDueAt: Date.UTC(2026, 2, 28, 8) });
    clock.set(Date.UTC(2026, 2, 29, 6, 59, 59));
    await scheduler.tick();
    expect(q.items).toEqual([]);
    clock.set(Date.UTC(2026, 2, 29, 7, 0, 5));
    await scheduler.tick();
    expect(dueTimes(q.items)).toEqual(['a@2026-03-29T07:00:00Z']);
  });

  it('runs `every 15m` at each quarter hour since the epoch', async () => {
    await add('a', { every: '15m', cron: undefined });
    clock.set(NINE + 7 * M);
    await scheduler.tick(); // bookmark 09:07
    for (let t = NINE + 7 * M; t <= NINE + 50 * M; t += 15_000) {
      clock.set(t);
      await scheduler.tick();
    }
    expect(dueTimes(q.items)).toEqual([
      'a@2026-12-01T08:15:00Z',
      'a@2026-12-01T08:30:00Z',
      'a@2026-12-01T08:45:00Z',
    ]);
    expect(notices).toEqual([]);
  });

  it('start() ticks at once, then on the timer; stop() ends it', async () => {
    await add('a', {}, { lastDueAt: NINE - 24 * H });
    clock.set(NINE + M);
    const timed = createLocalScheduler({
      store,
      tenants: [acme],
      queue: q.queue,
      clock,
      notify: async () => undefined,
      logger: createLogger({ level: 'error', write: () => undefined }),
      tickMs: 20,
    });
    timed.start();
    timed.start(); // a second start adds no second timer
    await vi.waitFor(() => expect(q.items).toHaveLength(1));
    clock.set(NINE + 24 * H + M); // the next day's run comes from a timer tick
    await vi.waitFor(() => expect(q.items).toHaveLength(2));
    await timed.stop();
    clock.set(NINE + 48 * H + M);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(dueTimes(q.items)).toEqual(['a@2026-12-01T08:00:00Z', 'a@2026-12-02T08:00:00Z']);
  });
});
