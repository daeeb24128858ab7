import { describe, expect, it } from 'vitest';
import { MAX_RUN_LATENESS_MS, missedRunsText, planTick } from './catch-up.js';
import { parseTiming } from './timing.js';
import type { ScheduleName } from './types.js';

const H = 3_600_000;
const M = 60_000;
const daily = { timing: parseTiming('0 9 * * *'), timezone: 'Europe/Berlin' };
const every15m = { timing: parseTiming('every 15m'), timezone: 'UTC' };
/** 09:00 in Berlin on 2026-12-0d (CET: 08:00 UTC). */
const nine = (d: number) => Date.UTC(2026, 11, d, 8);

describe('planTick', () => {
  it('bookmarks a schedule it has never seen, running nothing', () => {
    expect(planTick({ ...daily }, nine(1) + 5)).toEqual({ kind: 'bookmark', at: nine(1) + 5 });
  });

  it('does nothing before the next due time', () => {
    expect(planTick({ ...daily, lastDueAt: nine(1) }, nine(2) - 1)).toEqual({ kind: 'idle' });
  });

  it('runs a due time reached on time, nothing missed', () => {
    expect(planTick({ ...daily, lastDueAt: nine(1) }, nine(2) + 15_000)).toEqual({
      kind: 'run',
      dueAt: nine(2),
      missed: null,
    });
  });

  it('runs the latest of several (fresh) and reports the earlier ones as missed', () => {
    expect(planTick({ ...daily, lastDueAt: nine(1) }, nine(5) + 10 * M)).toEqual({
      kind: 'run',
      dueAt: nine(5),
      missed: { count: 3, lastDueAt: nine(4) },
    });
  });

  it('runs nothing when even the latest is stale: more than an hour late for a daily run', () => {
    expect(planTick({ ...daily, lastDueAt: nine(1) }, nine(2) + MAX_RUN_LATENESS_MS)).toMatchObject({
      kind: 'run',
    });
    expect(planTick({ ...daily, lastDueAt: nine(1) }, nine(4) + MAX_RUN_LATENESS_MS + 1)).toEqual({
      kind: 'skip',
      dueAt: nine(4),
      missed: { count: 3, lastDueAt: nine(4) },
    });
  });

  it('is stale past half the period for a short one (every 15m: 7.5 minutes)', () => {
    const at = Date.UTC(2026, 11, 1, 10);
    expect(planTick({ ...every15m, lastDueAt: at - 15 * M }, at + 7.5 * M)).toEqual({
      kind: 'run',
      dueAt: at,
      missed: null,
    });
    expect(planTick({ ...every15m, lastDueAt: at - 15 * M }, at + 7.5 * M + 1)).toEqual({
      kind: 'skip',
      dueAt: at,
      missed: { count: 1, lastDueAt: at },
    });
  });

  it('counts a long outage exactly (more due times than one chunk)', () => {
    const start = Date.UTC(2026, 10, 1);
    const plan = planTick(
      { timing: parseTiming('every 5m'), timezone: 'UTC', lastDueAt: start },
      start + 30 * 24 * H + 60_000,
    );
    expect(plan).toEqual({
      kind: 'run',
      dueAt: start + 30 * 24 * H,
      missed: { count: 30 * 24 * 12 - 1, lastDueAt: start + 30 * 24 * H - 5 * M },
    });
  });
});

describe('missedRunsText', () => {
  const record = { name: 'morning-alarms' as ScheduleName, ...daily };

  it('says how many, the last one due in the schedule zone, and the next run', () => {
    // 2026-12-01 is a Tuesday.
    expect(missedRunsText(record, { count: 3, lastDueAt: nine(1) }, nine(1) + 2 * H)).toBe(
      '⏰ morning-alarms: 3 runs were missed while the app was not running (last due Tue 2026-12-01 09:00 Europe/Berlin); they are not replayed. Next run: Wed 2026-12-02 09:00.',
    );
  });

  it('says which run goes ahead when the latest is run', () => {
    expect(missedRunsText(record, { count: 1, lastDueAt: nine(1) }, nine(2) + M, nine(2))).toBe(
      '⏰ morning-alarms: 1 run was missed while the app was not running (last due Tue 2026-12-01 09:00 Europe/Berlin); it is not replayed. Running the one due Wed 2026-12-02 09:00 now.',
    );
  });
});
