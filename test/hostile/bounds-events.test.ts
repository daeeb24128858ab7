import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssueList } from '../../src/config/agent-config/issues.js';
import { parseEventRoutes } from '../../src/config/agent-config/events.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { ALERTMANAGER_WEBHOOK, looksLikeAlertmanager } from '../../src/events/alertmanager.js';
import { CLOUDWATCH_ALARM, looksLikeAlarm } from '../../src/events/cloudwatch.js';
import { GENERIC_EVENT } from '../../src/events/generic.js';
import { eventRoutes } from '../../src/events/route.js';
import { SNS_ENVELOPE } from '../../src/events/sns.js';
import { localUrlPolicy, startSnsFixture, type SnsFixture } from '../../src/events/testing/sns-fixture.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import { createMemoryClaimStore } from '../../src/schedules/store/memory.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues, namesBrokenField, schemaCases, type SchemaCase } from './schema-cases.js';
import { startWorkerHarness, type WorkerHarness } from './worker-harness.js';

/**
 * Events (issue 18): the generic event, an Alertmanager webhook and a CloudWatch alarm through a
 * signed SNS envelope, at their bounds, through the real route (normalise → route → admit) → the
 * queue's wire format → the real worker. Accepted: 202 and an item that decodes and runs without an
 * internal error; refused: a 400 naming the field. Builds on `src/events/generic.property.test.ts`
 * (near-miss bodies) with schema-derived cases and the other formats.
 */

const TOKEN = 'bounds-token-0123456789abcdef0123';
const routes = parseEventRoutes(
  'version: 1\nroutes:\n  - name: all\n    prompt: "{{title}} {{details}} {{raw}}"\n    target: { chat: 5 }\n    rateLimit: { max: 1000 }\n',
  new IssueList(),
);

/** `details` is free-form JSON; `assertBounded` holds it to depth 8, 64 KiB strings, 500 items, 200 keys. */
const GENERIC_ALLOWED = { 'details.{}': 'free-form JSON bounded by assertBounded before parsing' };

type Format = 'generic' | 'alertmanager' | 'cloudwatch';
const tagged = (format: Format, schema: Parameters<typeof schemaCases>[0]) =>
  schemaCases(schema).map((c): SchemaCase & { format: Format } => ({
    ...c,
    value: repair(format, c),
    format,
  }));

const TIME = '2026-12-02T03:40:00.000+0000';

/**
 * Times and titles are checked by refinements the JSON Schema cannot describe (a real time between
 * 2000 and 2200, a title with text), so generated ones rarely pass: they are set to a valid value
 * unless they are the field the case broke.
 */
function repair(format: Format, c: SchemaCase): unknown {
  const v = c.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const keep = (path: string) => c.kind === 'invalid' && c.path.startsWith(path);
  const o = { ...(v as Record<string, unknown>) };
  if (format === 'cloudwatch' && 'StateChangeTime' in o && !keep('StateChangeTime'))
    o['StateChangeTime'] = TIME;
  if (format === 'generic') {
    if (typeof o['time'] === 'string' && !keep('time')) o['time'] = TIME;
    if (typeof o['title'] === 'string' && o['title'].trim() === '' && !keep('title'))
      o['title'] = `x${o['title'].slice(1)}`;
  }
  if (format === 'alertmanager' && Array.isArray(o['alerts']))
    o['alerts'] = o['alerts'].map((a: unknown, i) =>
      typeof a === 'object' && a !== null && !Array.isArray(a)
        ? {
            ...a,
            ...(keep(`alerts.${i}.startsAt`) ? {} : { startsAt: TIME }),
            ...('endsAt' in a && !keep(`alerts.${i}.endsAt`) ? { endsAt: TIME } : {}),
          }
        : a,
    );
  return o;
}

/** `a.b[0].c` (the route's issue path) → `a.b.0.c`; a CloudWatch field is inside `Message`. */
const dotted = (path: string, format: Format): string => {
  if (path === 'body' || path === '') return '(body)';
  const p = path.replace(/\[(\d+)\]/g, '.$1');
  return format === 'cloudwatch' ? p.replace(/^Message\.?/, '') : p;
};

/** The real event routes over a memory claim store, queueing through the wire format into `queued`. */
function eventApp(clock: ManualClock, queued: QueuedMessage[]) {
  return eventRoutes({
    tenants: () => ({ tokens: [TOKEN], routes }),
    claims: createMemoryClaimStore({ clock }),
    queue: { enqueue: async (item) => void queued.push(decodeQueuedMessage(encodeQueuedMessage(item))) },
    logger: silentLogger,
    snsUrlPolicy: localUrlPolicy,
    clock,
  });
}

describe('bounds: events → route → queue → worker', () => {
  let h: WorkerHarness;
  let sns: SnsFixture;
  beforeAll(async () => {
    h = await startWorkerHarness();
    sns = await startSnsFixture();
  });
  afterAll(async () => {
    await h?.close();
    await sns?.close();
  });

  it('audit: the generic event, Alertmanager webhook, CloudWatch alarm and SNS envelope are bounded', () => {
    expect(boundIssues(GENERIC_EVENT, GENERIC_ALLOWED)).toEqual([]);
    expect(boundIssues(ALERTMANAGER_WEBHOOK)).toEqual([]);
    expect(boundIssues(CLOUDWATCH_ALARM)).toEqual([]);
    expect(boundIssues(SNS_ENVELOPE)).toEqual([]);
  });

  it('regression: a fractional epoch-ms time is an accepted event that queues (was a 503: occurredAt not an integer)', async () => {
    const clock = new ManualClock(Date.parse('2026-12-02T04:00:00Z'));
    const queued: QueuedMessage[] = [];
    const app = eventApp(clock, queued);
    const res = await app.request('/acme', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ title: 'disk full', time: 1_011_280_107_307.038 }),
    });
    expect(res.status).toBe(202);
    expect(queued[0]?.kind === 'alert' && queued[0].alert.occurredAt).toBe(1_011_280_107_307);
  });

  it(`${RUNS} events: accepted ones queue an item the worker runs, refused ones are a 400 naming the field`, async () => {
    const figures = createFigures('events → route → queue → worker');
    const crashes = watchCrashes();
    const clock = new ManualClock(Date.parse('2026-12-02T04:00:00Z'));
    const queued: QueuedMessage[] = [];
    const app = eventApp(clock, queued);
    let accepted = 0;
    let refused = 0;
    const cases = fc.oneof(
      tagged('generic', GENERIC_EVENT),
      tagged('alertmanager', ALERTMANAGER_WEBHOOK),
      tagged('cloudwatch', CLOUDWATCH_ALARM),
    );
    try {
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          await yieldToEventLoop();
          clock.advance(3_600_000); // past the route's rate window
          queued.length = 0;
          const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
          let body = JSON.stringify(c.value);
          if (c.format === 'cloudwatch') {
            const envelope = sns.envelope({ Message: body, Subject: 'ALARM' }, { now: clock.now() });
            headers['x-amz-sns-message-type'] = envelope.Type;
            body = JSON.stringify(envelope);
          }
          const start = performance.now();
          const res = await app.request('/acme', { method: 'POST', headers, body });
          const json = (await res.json()) as { status?: string; error?: { issues?: { path: string }[] } };
          // A body without its format's markers is read as a generic event (an SNS message that is
          // no alarm: a generic notification, by design); only a detected format is held to its schema.
          const detected =
            c.format === 'generic' ||
            (c.format === 'alertmanager' ? looksLikeAlertmanager(c.value) : looksLikeAlarm(c.value));
          const broken = c.kind === 'invalid' && detected;
          let problem: string | undefined;
          if (res.status === 202) {
            accepted++;
            if (broken) problem = `accepted a ${c.format} event broken at ${c.path} (${c.broke})`;
            for (const item of queued) {
              const outcome = await h.handle(item);
              figures.record(`${c.format} 202 ${outcome.label}`, since(start), [c.format]);
              if (outcome.internal) problem = `${c.format}: ${outcome.internal}`;
            }
            if (queued.length === 0)
              figures.record(`${c.format} 202 ${json.status}`, since(start), [c.format]);
          } else {
            refused++;
            figures.record(`${c.format} ${res.status}`, since(start), [c.format]);
            const paths = (json.error?.issues ?? []).map((i) => dotted(i.path, c.format));
            // 413: the body limit before parsing (a schema's maxima together can pass it).
            if (res.status === 413) return;
            if (res.status !== 400) problem = `${c.format}: ${res.status}`;
            else if (broken && !namesBrokenField(paths, c.path))
              problem = `400 naming ${paths.join(',')} for ${c.path} (${c.broke})`;
          }
          if (problem) figures.fail(`${problem} — ${JSON.stringify(c.value).slice(0, 200)}`);
          expect(problem).toBeUndefined();
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } finally {
      crashes.stop();
      figures.print({ accepted, refused, crashes: crashes.crashes.length, 'turns run': h.turns.length });
    }
    expect(crashes.crashes).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(refused).toBeGreaterThan(RUNS / 4);
  });
});
