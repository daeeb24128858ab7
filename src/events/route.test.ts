import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { parseTenantId } from '../core/ids.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../queue/message.js';
import type { AlertWork, QueuedMessage } from '../queue/types.js';
import { createMemoryClaimStore } from '../schedules/store/memory.js';
import { IssueList } from '../config/agent-config/issues.js';
import { parseEventRoutes } from '../config/agent-config/events.js';
import { eventRoutes, type EventRoutesDeps } from './route.js';
import {
  alarmMessage,
  localUrlPolicy,
  startSnsFixture,
  TEST_TOPIC,
  type SnsFixture,
} from './testing/sns-fixture.js';

const TOKEN = 'acme-events-token-0123456789abcdef';
const routes = (() => {
  const issues = new IssueList();
  const list = parseEventRoutes(
    `version: 1
routes:
  - name: prod
    match: { source: cloudwatch, alarm: "prod-*", state: ALARM, topicArn: ["${TEST_TOPIC}"] }
    prompt: "Investigate {{alarm}}: {{reason}} in {{region}}."
    target: { chat: -1001234, thread: new }
    rateLimit: { max: 3, perMinutes: 60 }
  - name: k8s
    match: { source: alertmanager, labels: { team: "platform*" } }
    prompt: "Alert {{alarm}} is {{state}} ({{labels.severity}})."
    target: { chat: -1001234, thread: 42 }
  - name: misc
    match: { source: generic }
    prompt: "Look at {{title}} ({{details}})."
    target: { chat: 777 }
`,
    issues,
  );
  expect(issues.items).toEqual([]);
  return list;
})();

let sns: SnsFixture;
beforeAll(async () => {
  sns = await startSnsFixture();
});
afterAll(() => sns.close());

interface Harness {
  app: ReturnType<typeof eventRoutes>;
  queued: QueuedMessage[];
  clock: ManualClock;
  warnings: string[];
  failNext: { count: number };
}

function harness(overrides: Partial<EventRoutesDeps> = {}): Harness {
  const clock = new ManualClock(Date.now());
  const queued: QueuedMessage[] = [];
  const failNext = { count: 0 };
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (msg) => warnings.push(msg),
    child: () => logger,
  };
  const app = eventRoutes({
    tenants: (t) => (t === 'acme' ? { tokens: ['other-token-xyz', TOKEN], routes } : undefined),
    claims: createMemoryClaimStore({ clock }),
    queue: {
      async enqueue(item) {
        if (failNext.count > 0) {
          failNext.count -= 1;
          throw new Error('queue down');
        }
        queued.push(decodeQueuedMessage(encodeQueuedMessage(item)));
      },
    },
    logger,
    clock,
    snsUrlPolicy: localUrlPolicy,
    ...overrides,
  });
  return { app, queued, clock, warnings, failNext };
}

const post = (h: Harness, body: unknown, headers: Record<string, string> = {}, tenant = 'acme') =>
  h.app.request(`/${tenant}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const snsPost = (h: Harness, envelope: unknown) =>
  post(h, envelope, {
    'content-type': 'text/plain; charset=UTF-8',
    'x-amz-sns-message-type': (envelope as { Type: string }).Type,
    authorization: `Basic ${Buffer.from(`sns:${TOKEN}`).toString('base64')}`,
  });

const alarmDelivery = (message: Record<string, unknown> = alarmMessage()) =>
  sns.envelope({ Message: JSON.stringify(message), Subject: 'ALARM: "prod-api-5xx" in EU (Ireland)' });

let h: Harness;
beforeEach(() => {
  h = harness();
});

describe('CloudWatch alarms through SNS', () => {
  it('queues one alert for a state change delivered 3 times with different MessageIds', async () => {
    const replies = [];
    for (let i = 0; i < 3; i++) {
      const res = await snsPost(h, alarmDelivery());
      expect(res.status).toBe(202);
      replies.push((await res.json()) as { status: string; event_id: string });
    }
    expect(replies.map((r) => r.status)).toEqual(['queued', 'duplicate', 'duplicate']);
    expect(new Set(replies.map((r) => r.event_id)).size).toBe(1);
    expect(replies[0]?.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(h.queued).toHaveLength(1);
    const item = h.queued[0] as AlertWork;
    expect(item.kind).toBe('alert');
    expect(item.key).toEqual({ tenant: 'acme', chat: '-1001234', thread: 'alert-prod' });
    expect(item.source).toEqual({ type: 'event', route: 'prod', eventId: replies[0]?.event_id });
    expect(item.alert.title).toBe('ALARM: prod-api-5xx');
    expect(item.alert.essentials[0]).toBe('State: ALARM (was OK)');
    expect(item.alert.target).toEqual({ chat: -1001234, thread: 'new' });
    expect(item.alert.occurredAt).toBe(Date.parse('2026-12-02T03:40:00.000Z'));
    expect(item.alert.prompt).toContain('Investigate ⟦prod-api-5xx⟧: ⟦Threshold Crossed');
    expect(item.alert.prompt).toContain('<untrusted-event-data>');
  });

  it('rate-limits a flapping alarm: at most rateLimit.max queued, one warn line per window', async () => {
    const statuses: string[] = [];
    const start = Date.parse('2026-12-02T01:00:00.000Z');
    for (let i = 0; i < 20; i++) {
      const time = new Date(start + i * 60_000).toISOString().replace('Z', '+0000');
      const res = await snsPost(
        h,
        alarmDelivery(alarmMessage({ OldStateValue: 'OK', StateChangeTime: time })),
      );
      statuses.push(((await res.json()) as { status: string }).status);
    }
    expect(h.queued).toHaveLength(3);
    expect(statuses.filter((s) => s === 'queued')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'rate_limited')).toHaveLength(17);
    expect(h.warnings.filter((w) => w.includes('rate limit'))).toHaveLength(1);
    h.clock.advance(60 * 60_000);
    const res = await snsPost(
      h,
      alarmDelivery(alarmMessage({ StateChangeTime: '2026-12-02T02:30:00.000+0000' })),
    );
    expect(await res.json()).toMatchObject({ status: 'queued' });
  });

  it('confirms a subscription only for a topic listed by a route', async () => {
    const confirmation = (topic: string, path: string) =>
      sns.envelope({
        Type: 'SubscriptionConfirmation',
        TopicArn: topic,
        Message: 'You have chosen to subscribe…',
        SubscribeURL: `${sns.origin}${path}`,
        Token: 'tok',
      });
    const ok = await snsPost(h, confirmation(TEST_TOPIC, '/confirm?a=1'));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ status: 'confirmed' });
    expect(sns.hits).toContain('/confirm?a=1');

    const other = 'arn:aws:sns:eu-west-1:123456789012:someone-else';
    const refused = await snsPost(h, confirmation(other, '/confirm?b=2'));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(other);
    expect(sns.hits).not.toContain('/confirm?b=2');
    expect(h.queued).toHaveLength(0);
  });

  it('refuses a forged signature (401) and a certificate off AWS (403), queueing nothing', async () => {
    const forged = { ...alarmDelivery(), Message: JSON.stringify(alarmMessage({ AlarmName: 'prod-other' })) };
    const res = await snsPost(h, forged);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const strict = harness({ snsUrlPolicy: undefined });
    const offAws = await snsPost(strict, alarmDelivery());
    expect(offAws.status).toBe(403);
    expect(((await offAws.json()) as { error: { message: string } }).error.message).toMatch(/SigningCertURL/);
    expect([...h.queued, ...strict.queued]).toHaveLength(0);
  });

  it.each([
    [
      'a tampered Message',
      () => ({ ...alarmDelivery(), Message: '{"AlarmName":"prod-x"}' }),
      401,
      /signature does not match/,
    ],
    [
      'an unknown SignatureVersion',
      () => ({ ...alarmDelivery(), SignatureVersion: '3' }),
      401,
      /unknown SignatureVersion/,
    ],
    [
      'a Timestamp over an hour old',
      () => sns.envelope({ Message: JSON.stringify(alarmMessage()) }, { now: Date.now() - 2 * 3600_000 }),
      401,
      /more than 1 hour old/,
    ],
    [
      'an http:// certificate URL',
      () => sns.envelope({ SigningCertURL: 'http://sns.eu-west-1.amazonaws.com/cert.pem' }),
      403,
      /SigningCertURL must be https/,
    ],
    [
      'a confirmation URL off the allowed hosts',
      () =>
        sns.envelope({
          Type: 'SubscriptionConfirmation',
          SubscribeURL: 'https://evil.example.com/confirm',
          Token: 't',
        }),
      403,
      /SubscribeURL must be https/,
    ],
  ])('refuses %s (%i) and queues nothing', async (_name, make, status, message) => {
    const strict = harness({ snsUrlPolicy: (url) => url.href.startsWith(sns.origin) });
    const res = await snsPost(strict, make());
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    expect(strict.queued).toHaveLength(0);
    expect(sns.hits.some((h) => h.includes('evil'))).toBe(false);
  });

  it('routes a non-alarm SNS message as a generic event titled by its Subject', async () => {
    const res = await snsPost(h, sns.envelope({ Subject: 'Backup finished', Message: 'job 42 done' }));
    expect(await res.json()).toMatchObject({ status: 'queued' });
    expect((h.queued[0] as AlertWork).alert.title).toBe('Backup finished');
    expect((h.queued[0] as AlertWork).source.route).toBe('misc');
  });
});

describe('Alertmanager webhooks', () => {
  const webhook = (status: 'firing' | 'resolved') => ({
    version: '4',
    status,
    receiver: 'omnicloud',
    groupKey: '{}:{alertname="KubePodCrashLooping"}',
    groupLabels: { alertname: 'KubePodCrashLooping' },
    commonLabels: { alertname: 'KubePodCrashLooping', team: 'platform-core', severity: 'critical' },
    commonAnnotations: { summary: 'Pod api-7f is crash looping' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels: { alertname: 'KubePodCrashLooping', pod: 'api-7f' },
        annotations: {},
        startsAt: '2026-12-02T03:00:00Z',
        ...(status === 'resolved' ? { endsAt: '2026-12-02T03:20:00Z' } : {}),
        fingerprint: 'a1b2c3',
      },
    ],
  });

  it('queues firing and then resolved as two items, a repeat of firing as a duplicate', async () => {
    const statuses = [];
    for (const s of ['firing', 'firing', 'resolved'] as const) {
      statuses.push(((await (await post(h, webhook(s))).json()) as { status: string }).status);
    }
    expect(statuses).toEqual(['queued', 'duplicate', 'queued']);
    expect(h.queued).toHaveLength(2);
    const first = h.queued[0] as AlertWork;
    expect(first.key.thread).toBe('alert-k8s');
    expect(first.alert.target).toEqual({ chat: -1001234, thread: 42 });
    expect(first.alert.prompt).toContain('Alert ⟦KubePodCrashLooping⟧ is ⟦firing⟧ (⟦critical⟧).');
    expect((h.queued[1] as AlertWork).alert.title).toMatch(/^resolved: KubePodCrashLooping/);
  });
});

describe('generic events and refusals', () => {
  it('queues a generic event and dedupes on its id', async () => {
    const body = {
      title: 'Disk 91% on db-1',
      id: 'disk-db-1-91',
      severity: 'warning',
      details: { host: 'db-1' },
    };
    expect(await (await post(h, body)).json()).toMatchObject({ status: 'queued' });
    expect(await (await post(h, { ...body, severity: 'critical' })).json()).toMatchObject({
      status: 'duplicate',
    });
    expect((h.queued[0] as AlertWork).alert.prompt).toContain(
      'Look at ⟦Disk 91% on db-1⟧ (⟦{"host":"db-1"}⟧).',
    );
  });

  it('queues an event whose first delivery died between its claim and the queue, once that claim is 60 s old', async () => {
    const clock = new ManualClock(Date.now());
    const claims = createMemoryClaimStore({ clock });
    // The first container claims the event, then never queues it (it "dies" in between).
    const stuck = harness({ claims, clock, queue: { enqueue: () => new Promise<void>(() => undefined) } });
    const body = { title: 'Disk 99% on db-2', id: 'disk-db-2-99' };
    void post(stuck, body);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const live = harness({ claims, clock });
    const status = async () => ((await (await post(live, body)).json()) as { status: string }).status;
    expect(await status()).toBe('duplicate'); // still in flight: not a crash yet
    clock.advance(61_000);
    expect(await status()).toBe('queued'); // recovered: queued by this delivery
    expect(await status()).toBe('duplicate'); // and marked handled
    expect(live.queued).toHaveLength(1);
  });

  it('does not recover an event the rate limit refused', async () => {
    const clock = new ManualClock(Date.now());
    const claims = createMemoryClaimStore({ clock });
    const h2 = harness({ claims, clock });
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await snsPost(
        h2,
        alarmDelivery(alarmMessage({ StateChangeTime: new Date(Date.UTC(2026, 11, 2, 1, i)).toISOString() })),
      );
      statuses.push(((await res.json()) as { status: string }).status);
    }
    expect(statuses).toEqual(['queued', 'queued', 'queued', 'rate_limited', 'rate_limited']);
    clock.advance(61_000);
    const again = await snsPost(
      h2,
      alarmDelivery(alarmMessage({ StateChangeTime: new Date(Date.UTC(2026, 11, 2, 1, 4)).toISOString() })),
    );
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');
    expect(h2.queued).toHaveLength(3);
  });

  it('answers no_route and runs nothing when no route matches', async () => {
    const res = await post(h, {
      version: '4',
      status: 'firing',
      groupKey: 'g',
      commonLabels: { team: 'web' },
      alerts: [
        { status: 'firing', labels: { alertname: 'X' }, startsAt: '2026-12-02T03:00:00Z', fingerprint: 'f' },
      ],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'no_route' });
    expect(h.queued).toHaveLength(0);
  });

  it.each([
    ['unknown tenant', () => post(h, { title: 'x' }, {}, 'nobody'), 404, 'unknown_tenant'],
    ['invalid tenant id', () => post(h, { title: 'x' }, {}, 'NOT_A_TENANT'), 404, 'unknown_tenant'],
    ['wrong token', () => post(h, { title: 'x' }, { authorization: 'Bearer wrong' }), 401, 'unauthorized'],
    ['no token', () => post(h, { title: 'x' }, { authorization: '' }), 401, 'unauthorized'],
    [
      'wrong basic password',
      () => post(h, { title: 'x' }, { authorization: `Basic ${Buffer.from('u:nope').toString('base64')}` }),
      401,
      'unauthorized',
    ],
    [
      'oversized body',
      () => post(h, { title: 'x', details: { blob: 'x'.repeat(300 * 1024) } }),
      413,
      'payload_too_large',
    ],
    ['malformed JSON', () => post(h, '{"title": '), 400, 'invalid_json'],
    [
      'too deep nesting',
      () => post(h, { title: 'x', details: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } }),
      400,
      'invalid_event',
    ],
    ['date 1e20', () => post(h, { title: 'x', time: 1e20 }), 400, 'invalid_event'],
    ['unknown field', () => post(h, { title: 'x', titel: 'y' }), 400, 'invalid_event'],
  ])('%s → %i', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code } });
    expect(h.queued).toHaveLength(0);
  });

  it('names the field of a refused body', async () => {
    const cases: [unknown, string][] = [
      [{ title: 'x', time: 1e20 }, 'time'],
      [{ title: 'x', titel: 'y' }, 'titel'],
      [{ title: '' }, 'title'],
      [
        { title: 'x', details: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } },
        'details.a.b.c.d.e.f.g',
      ],
    ];
    for (const [body, field] of cases) {
      const json = (await (await post(h, body)).json()) as { error: { issues: { path: string }[] } };
      expect(json.error.issues[0]?.path).toBe(field);
    }
  });

  it('challenges with WWW-Authenticate Basic (SNS sends URL credentials only after a 401)', async () => {
    const res = await post(h, { title: 'x' }, { authorization: '' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="omnicloud-events"/);
  });

  it('answers 503 when the enqueue fails and runs the retry', async () => {
    h.failNext.count = 1;
    const body = { title: 'Queue test', id: 'retry-1' };
    const first = await post(h, body);
    expect(first.status).toBe(503);
    expect(h.queued).toHaveLength(0);
    const retry = await post(h, body);
    expect(await retry.json()).toMatchObject({ status: 'queued' });
    expect(h.queued).toHaveLength(1);
  });

  it('keeps tenants apart: a token of one tenant does not open another', async () => {
    const two = harness({
      tenants: (t) =>
        t === parseTenantId('acme')
          ? { tokens: [TOKEN], routes }
          : t === 'beta'
            ? { tokens: ['beta-token-abcdefabcdef0123456789'], routes }
            : undefined,
    });
    expect((await post(two, { title: 'x' }, {}, 'beta')).status).toBe(401);
    expect((await post(two, { title: 'x' }, {}, 'acme')).status).toBe(202);
  });
});
