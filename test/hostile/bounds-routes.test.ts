import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../deploy/fake-runner.js';
import { createConversationService } from '../../src/conversations/index.js';
import { systemClock } from '../../src/core/clock.js';
import { SEGMENT_RE, TENANT_RE, parseTenantId } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { decodeQueuedMessage } from '../../src/queue/message.js';
import { scheduleDefinition } from '../../src/schedules/eventbridge.js';
import {
  SCHEDULE_SPEC_SCHEMA,
  SCHEDULED_TIME_PLACEHOLDER,
  createScheduleService,
  dueIso,
  dueTimes,
  localSync,
  type ScheduleName,
} from '../../src/schedules/index.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { APPROVAL_REQUEST } from '../../src/server/routes/approvals.js';
import { PATCH_BODY } from '../../src/server/routes/schedules.js';
import { SETTINGS_PATCH } from '../../src/server/routes/session-query.js';
import { STOP_REQUEST } from '../../src/server/routes/stop.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { errorOf, judge, type Judged } from './bounds-support.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { schemaCases, type SchemaCase } from './schema-cases.js';

/**
 * Issue 18 for the API's other boundaries: the settings, approval, stop and schedule bodies (cases
 * derived from each schema: valid at its bounds, invalid breaking one constraint), the query
 * parameters (`limit`, `format`, `turn`, `chat`/`thread`) and the path ids at their bounds — each
 * through the real route of the real app over real SQLite storage. Accepted input is handled (2xx,
 * or the route's own clear refusal), refused input is a 4xx naming the field. An accepted schedule
 * is also fed to what consumes it later: the EventBridge definition and the work item it sends
 * (decoded by the queue's own decoder), and its next due times.
 */

const TOKEN = 'bounds-routes-3e5a7c9b1d2f4a6c8e0b2d4f6a8c1e3b';
const AGENT = 'aws-support';
const CHOICES = { models: { fast: 'claude-haiku-9' }, defaultModel: 'claude-sonnet-9', agents: [AGENT] };
const TARGET = {
  group: 'omni',
  queueArn: 'arn:aws:sqs:eu-west-1:1:work.fifo',
  roleArn: 'arn:aws:iam::1:role/s',
};

let dir: string;
let storage: SqliteStorage;
let app: ReturnType<typeof createApiApp>;
const errorLines: string[] = [];
const crashWatch = watchCrashes();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omni-bounds-routes-'));
  storage = createSqliteStorage({ dataDir: dir });
  const logger = createLogger({ level: 'error', write: (line) => errorLines.push(line) });
  app = createApiApp({
    runner: createFakeRunner(),
    storage,
    auth: createTokenAuth([{ token: TOKEN, tenants: 'all', label: 'bounds' }]),
    logger,
    conversations: createConversationService({ storage, choices: async () => CHOICES, logger }),
    schedules: createScheduleService({
      store: storage.schedules,
      sync: localSync,
      clock: systemClock,
      agentsOf: () => [AGENT],
    }),
  });
});
afterAll(async () => {
  crashWatch.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const send = (method: string, path: string, body?: unknown, raw?: string) =>
  app.request(path, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    ...(body !== undefined || raw !== undefined ? { body: raw ?? JSON.stringify(body) } : {}),
  });

/** Runs `RUNS` cases: `step` answers one with its verdict; prints the figures block. */
async function property<T>(
  name: string,
  cases: fc.Arbitrary<T>,
  step: (c: T) => Promise<Judged & { kind: string }>,
  seed: number,
): Promise<void> {
  const figures = createFigures(name);
  const counts = { accepted: 0, refused: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        await yieldToEventLoop();
        const started = performance.now();
        const judged = await step(c);
        if (judged.kind === 'valid') counts.accepted++;
        else counts.refused++;
        if (judged.problem) {
          const reason = `${judged.problem} [log: ${errorLines.at(-1) ?? ''}] (case ${JSON.stringify(c).slice(0, 200)})`;
          figures.fail(reason);
          throw new Error(reason);
        }
        figures.record(judged.label, since(started));
      }),
      { numRuns: RUNS, seed, endOnFailure: true },
    );
  } finally {
    figures.print({
      'cases (accepted / refused)': `${counts.accepted} / ${counts.refused}`,
      crashes: crashWatch.crashes.length,
    });
  }
  expect(figures.failures).toEqual([]);
  expect(crashWatch.crashes).toEqual([]);
  expect(counts.accepted).toBeGreaterThan(RUNS / 10);
  expect(counts.refused).toBeGreaterThan(RUNS / 10);
}

const judged = (c: SchemaCase, status: number, text: string, domain: readonly string[] = []) => ({
  kind: c.kind,
  ...judge(c, { status, text }, domain),
});

/** The reply's status and text (read once). */
const answer = async (res: Response | Promise<Response>): Promise<{ status: number; text: string }> => {
  const r = await res;
  return { status: r.status, text: await r.text() };
};

// ---------- bodies ----------

describe('bounds: the API bodies through their real routes over SQLite', () => {
  it(`${RUNS} PATCH …/settings cases (SETTINGS_PATCH) through the conversation service`, async () => {
    // A value of the right grammar may still name no alias/agent of the tenant: 400 naming the field.
    const domain = ['400 unknown_model', '400 unknown_agent', '404 unknown_model', '404 unknown_agent'];
    await property(
      'PATCH /v1/conversations/:tenant/:chat/:thread/settings (SETTINGS_PATCH) over SQLite',
      fc.tuple(schemaCases(SETTINGS_PATCH), fc.constantFrom('fast', AGENT, null)),
      async ([c, known]) => {
        // Half the valid cases name a configured alias/agent, so writes happen too.
        const value = c.value as Record<string, unknown>;
        const body =
          c.kind === 'valid' && known !== null && typeof value === 'object' && value !== null
            ? { ...value, ...('model' in value ? { model: known === AGENT ? 'fast' : known } : {}) }
            : c.value;
        const res = await answer(send('PATCH', '/v1/conversations/acme/settings-chat/main/settings', body));
        const out = judged(c, res.status, res.text, domain);
        const error = res.status >= 400 ? errorOf(res.text) : undefined;
        if (!out.problem && error && domain.includes(`${res.status} ${error.code}`)) {
          const field = error.code === 'unknown_model' ? 'model' : 'agent';
          if (!error.paths.includes(field))
            return { ...out, problem: `${error.code} names ${error.paths.join()}` };
        }
        return out;
      },
      SEED + 191,
    );
  });

  it(`${RUNS} POST /v1/approvals/:id cases (APPROVAL_REQUEST)`, async () => {
    // No request with this id exists in any tenant: a valid body is a 404 after it is read.
    await property(
      'POST /v1/approvals/:id (APPROVAL_REQUEST) over SQLite',
      schemaCases(APPROVAL_REQUEST),
      async (c) => {
        const value = c.value as Record<string, unknown>;
        // The caller holds all tenants, so a decision must name one: valid cases always do.
        const body =
          c.kind === 'valid' && typeof value === 'object' && value !== null && !('tenant' in value)
            ? { ...value, tenant: 'acme' }
            : c.value;
        const res = await answer(send('POST', '/v1/approvals/AAAAAAAAAAAAAAAAAAAAAA', body));
        return judged(c, res.status, res.text, ['404 approval_not_found']);
      },
      SEED + 192,
    );
  });

  it(`${RUNS} POST …/stop cases (STOP_REQUEST, and the same turn as ?turn=)`, async () => {
    await property(
      'POST /v1/conversations/:tenant/:chat/:thread/stop (STOP_REQUEST, ?turn=) over SQLite',
      fc.tuple(schemaCases(STOP_REQUEST), fc.boolean()),
      async ([c, asQuery]) => {
        const turn = (c.value as { turn?: unknown } | null)?.turn;
        // A whole number from the body as the query's text: the query is checked by its own rule.
        if (asQuery && typeof turn === 'number' && Number.isInteger(turn) && turn > 0) {
          const res = await answer(send('POST', `/v1/conversations/acme/stop-chat/main/stop?turn=${turn}`));
          return judged(c, res.status, res.text);
        }
        const res = await answer(send('POST', '/v1/conversations/acme/stop-chat/main/stop', c.value));
        return judged(c, res.status, res.text);
      },
      SEED + 193,
    );
  });
});

// ---------- schedules ----------

/** Timings and zones at their bounds that the spec's own checks (cron subset, interval, zone) accept. */
const TIMINGS: ReadonlyArray<Record<string, string>> = [
  { every: '5m' },
  { every: '366d' },
  { every: '8784h' },
  { every: '527040 minutes' },
  { cron: '*/5 * * * *' },
  { cron: '0 9 * * 1-5' },
  { cron: '59 23 31 12 *' },
  { cron: '0 0 29 2 *' },
  { cron: '0,5,10,15,20,25,30,35,40,45,50,55 0-23 1-31 JAN-DEC *' },
];
const ZONES = [
  'UTC',
  'Pacific/Kiritimati',
  'Etc/GMT+12',
  'Asia/Kathmandu',
  'America/Argentina/ComodRivadavia',
];

/**
 * A valid case's rules its JSON Schema cannot carry (refinements and `trim`): exactly one timing
 * that the cron subset and the interval accept (always for a new schedule, when set for a change),
 * a known zone and agent, a chat that is not 0, a prompt that is not only white space.
 */
function scheduleBody(
  value: Record<string, unknown>,
  timing: Record<string, string>,
  zone: string,
  whole: boolean,
) {
  const { cron: _c, every: _e, ...rest } = value;
  const target = rest['target'] as { chat?: number } | undefined;
  const prompt = rest['prompt'];
  return {
    ...rest,
    ...(whole || 'cron' in value || 'every' in value ? timing : {}),
    ...(typeof prompt === 'string' && prompt.trim() === '' ? { prompt: 'x' } : {}),
    ...('timezone' in value ? { timezone: zone } : {}),
    ...('agent' in value && value['agent'] !== null ? { agent: AGENT } : {}),
    ...(target && target.chat === 0 ? { target: { ...target, chat: 1 } } : {}),
  };
}

/** What consumes an accepted schedule later, at its bounds: its EventBridge definition, its work item, its due times. */
function downstreamProblem(tenant: string, name: string, json: Record<string, unknown>): string | undefined {
  const spec = SCHEDULE_SPEC_SCHEMA.parse({
    name: json['name'],
    ...(json['cron'] !== undefined ? { cron: json['cron'] } : { every: json['every'] }),
    timezone: json['timezone'],
    prompt: json['prompt'],
    target: json['target'],
    ...(json['model'] !== undefined ? { model: json['model'] } : {}),
    ...(json['agent'] !== undefined ? { agent: json['agent'] } : {}),
    enabled: json['enabled'],
  });
  const record = {
    ...spec,
    tenant: parseTenantId(tenant),
    name: name as ScheduleName,
    origin: 'runtime' as const,
    paused: false,
    version: 1,
    createdBy: 'bounds',
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
  const definition = scheduleDefinition(record, TARGET);
  const due = dueTimes(spec.timing, spec.timezone, Date.now(), { count: 3 });
  if (due.length === 0) return 'no due time';
  for (const at of due) {
    const body = (definition.Target.Input ?? '').replace(SCHEDULED_TIME_PLACEHOLDER, dueIso(at));
    const item = decodeQueuedMessage(body);
    if (item.kind !== 'scheduled') return `work item of kind ${item.kind}`;
  }
  return undefined;
}

describe('bounds: /v1/schedules bodies through the real routes, the schedule service and SQLite', () => {
  it(`${RUNS} POST /v1/schedules/:tenant cases (SCHEDULE_SPEC_SCHEMA), each accepted one read back, synced and due`, async () => {
    let created = 0;
    let tenantSeq = 0;
    await property(
      'POST /v1/schedules/:tenant (SCHEDULE_SPEC_SCHEMA) over SQLite → EventBridge definition, work item, due times',
      fc.tuple(schemaCases(SCHEDULE_SPEC_SCHEMA), fc.constantFrom(...TIMINGS), fc.constantFrom(...ZONES)),
      async ([c, timing, zone]) => {
        const tenant = `t${tenantSeq++}`;
        const value = c.value as Record<string, unknown>;
        const body = c.kind === 'valid' ? scheduleBody(value, timing, zone, true) : c.value;
        const res = await answer(send('POST', `/v1/schedules/${tenant}`, body));
        const out = judged(c, res.status, res.text);
        if (out.problem || res.status !== 201) return out;
        created++;
        const json = JSON.parse(res.text) as Record<string, unknown>;
        const name = String(json['name']);
        const read = await send('GET', `/v1/schedules/${tenant}/${name}`);
        if (read.status !== 200) return { ...out, problem: `read back ${read.status}: ${await read.text()}` };
        return { ...out, problem: downstreamProblem(tenant, name, json) };
      },
      SEED + 194,
    );
    expect(created).toBeGreaterThan(RUNS / 10);
    // The spec's cron check walks 200 due times per request: seconds of CPU for 1000 cases on a loaded machine.
  }, 300_000);

  it(`${RUNS} PATCH /v1/schedules/:tenant/:name cases (PATCH_BODY) over a stored schedule`, async () => {
    const created = await send('POST', '/v1/schedules/patched', {
      name: 'nightly',
      cron: '0 3 * * *',
      prompt: 'check the alarms',
      target: { chat: -1001234567890 },
    });
    expect(created.status).toBe(201);
    await property(
      'PATCH /v1/schedules/:tenant/:name (PATCH_BODY) over SQLite',
      fc.tuple(schemaCases(PATCH_BODY), fc.constantFrom(...TIMINGS), fc.constantFrom(...ZONES)),
      async ([c, timing, zone]) => {
        const value = c.value as Record<string, unknown>;
        const body = c.kind === 'valid' ? scheduleBody(value, timing, zone, false) : c.value;
        const res = await answer(send('PATCH', '/v1/schedules/patched/nightly', body));
        const out = judged(c, res.status, res.text);
        if (out.problem || res.status !== 200) return out;
        const json = JSON.parse(res.text) as Record<string, unknown>;
        return { ...out, problem: downstreamProblem('patched', 'nightly', json) };
      },
      SEED + 195,
    );
  }, 300_000);
});

// ---------- query parameters and path ids ----------

/** Text for a query parameter: numbers at and past every bound, other notations, hostile text. */
const queryText = fc.oneof(
  fc.constantFrom('0', '1', '49', '50', '200', '201', '500', '501', '99999', '100000', '9007199254740991'),
  fc.constantFrom(
    '9007199254740992',
    '1e3',
    '-1',
    '+1',
    '0x10',
    '1.0',
    ' 1',
    '',
    '%00',
    'jsonl',
    'md',
    'JSONL',
  ),
  fc.string({ maxLength: 20 }),
);

describe('bounds: query parameters and path ids', () => {
  it(`${RUNS} query cases (limit, format, turn, chat/thread): 200, or 400 naming the parameter`, async () => {
    const routes: Array<{ method: string; path: string; param: string }> = [
      { method: 'GET', path: '/v1/conversations/acme/q-chat/main/sessions', param: 'limit' },
      { method: 'GET', path: '/v1/conversations/acme/q-chat/main/approvals', param: 'limit' },
      { method: 'GET', path: '/v1/conversations/acme/sessions', param: 'limit' },
      { method: 'GET', path: '/v1/conversations/acme/sessions', param: 'chat' },
      { method: 'GET', path: '/v1/conversations/acme/sessions?chat=q-chat', param: 'thread' },
      { method: 'POST', path: '/v1/conversations/acme/q-chat/main/stop', param: 'turn' },
      { method: 'GET', path: '/v1/conversations/acme/q-chat/main/transcript', param: 'format' },
      { method: 'GET', path: '/v1/conversations/acme/q-chat/main/transcript', param: 'subpath' },
    ];
    await property(
      'query parameters (limit, format, turn, chat, thread) over SQLite',
      fc.tuple(fc.constantFrom(...routes), queryText),
      async ([route, text]) => {
        const sep = route.path.includes('?') ? '&' : '?';
        const res = await send(route.method, `${route.path}${sep}${route.param}=${encodeURIComponent(text)}`);
        const body = await res.text();
        const error = res.status >= 400 ? errorOf(body) : undefined;
        const label = `${route.param} ${res.status}${error ? ` ${error.code}` : ''}`;
        const kind = res.status < 400 ? 'valid' : 'invalid';
        if (res.status >= 500) return { kind, label, problem: `status ${res.status}: ${body.slice(0, 200)}` };
        // A well-formed query on a conversation that does not exist.
        if (res.status === 404 && error?.code === 'conversation_not_found') return { kind, label };
        if (res.status >= 400 && !error?.paths.includes(route.param))
          return { kind, label, problem: `${route.param}=${JSON.stringify(text)}: ${body.slice(0, 200)}` };
        return { kind, label };
      },
      SEED + 196,
    );
  });

  it(`${RUNS} path-id cases at the bounds of the id grammars: never a 5xx`, async () => {
    const tenant = fc.oneof(
      fc.stringMatching(TENANT_RE),
      fc.constant(`t${'x'.repeat(30)}t`),
      fc.constant('a'),
    );
    const segment = fc.oneof(
      fc.stringMatching(SEGMENT_RE),
      fc.constantFrom(`-${'c'.repeat(64)}`, '9007199254740991', '-9007199254740991', '_'),
    );
    const suffix = fc.constantFrom(
      '',
      '/transcript',
      '/files',
      '/files/fAAAAAAAAAAAAAAA',
      '/approvals',
      '/settings',
      '/sessions',
    );
    await property(
      'path ids (tenant, chat, thread, file id) at their bounds over SQLite',
      fc.tuple(tenant, segment, segment, suffix),
      async ([t, chat, thread, rest]) => {
        const res = await send('GET', `/v1/conversations/${t}/${chat}/${thread}${rest}`);
        const body = await res.text();
        const error = res.status >= 400 ? errorOf(body) : undefined;
        const label = `${rest || '/'} ${res.status}${error ? ` ${error.code}` : ''}`;
        const problem =
          res.status >= 500 || (res.status === 400 && error?.code === 'invalid_id')
            ? `valid ids answered ${res.status}: ${body.slice(0, 200)}`
            : undefined;
        return { kind: res.status < 400 ? 'valid' : 'invalid', label, ...(problem ? { problem } : {}) };
      },
      SEED + 197,
    );
  });
});
