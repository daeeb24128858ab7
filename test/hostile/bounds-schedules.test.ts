import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTenantId } from '../../src/core/ids.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import { SCHEDULE_SPEC_SCHEMA, parseScheduleSpec } from '../../src/schedules/spec.js';
import { eventBridgeExpression, nextDue } from '../../src/schedules/timing.js';
import type { ScheduleSpec } from '../../src/schedules/types.js';
import { scheduledWork } from '../../src/schedules/work.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues, namesBrokenField, schemaCases } from './schema-cases.js';
import { startWorkerHarness, type WorkerHarness } from './worker-harness.js';

/**
 * Schedules (issue 18): a spec the schema accepts — cron, rate, time zone, prompt and target at
 * their bounds — has a next run croner can compute (or none, said so), an EventBridge expression,
 * and a due run that is a work item the real worker runs; a spec it refuses names the field.
 */

const TENANT = parseTenantId('acme');
const NOW = Date.UTC(2026, 11, 2, 9, 0);

const EVERY = [
  '5m',
  '4m',
  '1d',
  '366d',
  '367d',
  '8784h',
  '527040m',
  '527041m',
  '9007199254740993m',
  '1e3m',
  '0m',
  '-5m',
  '5 m',
];
const CRON = [
  '0 9 * * *',
  '0 0 30 2 *',
  '0 0 31 4 *',
  '* * * * *',
  '*/5 * * * *',
  '0 0 29 2 1',
  '59 23 31 12 *',
  '0 9 * * 1-5',
  '0 0 1 1 *',
  '60 0 * * *',
  '0 0 * * 8',
];
const ZONES = [
  'UTC',
  'Etc/GMT+12',
  'Etc/GMT-14',
  'Pacific/Kiritimati',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Europe/Berlin',
  'Mars/Olympus',
  'utc',
  'Europe/berlin',
  '',
];

/** A generated spec with a timing that is often valid: one of cron and every, a zone from the list. */
const specs = schemaCases(SCHEDULE_SPEC_SCHEMA).chain((c) =>
  fc
    .record({
      timing: fc.oneof(
        fc.constantFrom(...CRON).map((cron) => ({ cron })),
        fc.constantFrom(...EVERY).map((every) => ({ every })),
        fc.constant({}),
      ),
      timezone: fc.constantFrom(...ZONES),
      keep: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    })
    .map(({ timing, timezone, keep }) => {
      if (keep || typeof c.value !== 'object' || c.value === null || Array.isArray(c.value)) return c;
      const { cron: _c, every: _e, ...rest } = c.value as Record<string, unknown>;
      const broken = c.kind === 'invalid' ? c.path.split('.')[0] : undefined;
      if (broken === 'cron' || broken === 'every' || broken === 'timezone') return c;
      return { ...c, value: { ...rest, ...timing, timezone } };
    }),
);

/** The fields an `InvalidScheduleError` names: `cron: …; target.chat: …`. */
const namedIn = (message: string): string[] =>
  message
    .replace(/^\[[^\]]*\]\s*/, '')
    .split('; ')
    .map((issue) => issue.slice(0, issue.indexOf(': ')).replace(/^schedule$/, '(root)'));

describe('bounds: schedules → next run → EventBridge → queue → worker', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await startWorkerHarness(NOW);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('audit: every field of a schedule spec has an upper bound', () => {
    expect(boundIssues(SCHEDULE_SPEC_SCHEMA)).toEqual([]);
  });

  it(`${RUNS} specs: accepted ones compute their runs and run in the worker, refused ones name the field`, async () => {
    const figures = createFigures('schedules → next run → EventBridge → queue → worker');
    const crashes = watchCrashes();
    let accepted = 0;
    let refused = 0;
    try {
      await fc.assert(
        fc.asyncProperty(specs, async (c) => {
          await yieldToEventLoop();
          const start = performance.now();
          let spec: ScheduleSpec;
          try {
            spec = parseScheduleSpec(c.value);
          } catch (err) {
            refused++;
            const message = (err as Error).message;
            figures.record(`refused ${(err as Error).name}`, since(start), [c.kind]);
            const problem =
              (err as Error).name !== 'InvalidScheduleError'
                ? `threw ${(err as Error).name}: ${message}`
                : c.kind === 'invalid' && !namesBrokenField(namedIn(message), c.path)
                  ? `refused ${c.path} (${c.broke}) naming: ${message}`
                  : undefined;
            if (problem) figures.fail(problem);
            expect(problem).toBeUndefined();
            return;
          }
          accepted++;
          const next = nextDue(spec.timing, spec.timezone, NOW);
          const expression = eventBridgeExpression(spec.timing);
          expect(expression).toMatch(/^(cron|rate)\(.+\)$/);
          if (next === null) {
            figures.record('accepted, no next run', since(start), ['no-next']);
            return;
          }
          expect(next).toBeGreaterThan(NOW);
          const record = await h.storage.schedules.put({
            ...spec,
            tenant: TENANT,
            origin: 'runtime',
            paused: false,
            createdBy: 'tg:1',
            createdAt: NOW,
            updatedAt: NOW,
            version: 0,
          });
          // The due run as EventBridge / the local scheduler puts it on the queue.
          const item = decodeQueuedMessage(encodeQueuedMessage(scheduledWork(record, next)));
          const outcome = await h.handle(item);
          await h.storage.schedules.remove(TENANT, record.name);
          figures.record(`run ${outcome.label}`, since(start), [spec.timing.type]);
          if (outcome.internal) figures.fail(`${JSON.stringify(c.value).slice(0, 200)}: ${outcome.internal}`);
          expect(outcome.internal).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } finally {
      crashes.stop();
      figures.print({ accepted, refused, crashes: crashes.crashes.length, 'turns run': h.turns.length });
    }
    expect(crashes.crashes).toEqual([]);
    // Most generated names, targets and prompts miss a refinement; the accepted ones are what count.
    expect(accepted).toBeGreaterThan(RUNS / 20);
  });
});
