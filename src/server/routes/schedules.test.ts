import { beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../../test/deploy/fake-runner.js';
import { ManualClock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import { createLogger } from '../../core/logger.js';
import {
  createScheduleService,
  localSync,
  type ScheduleName,
  type ScheduleStore,
} from '../../schedules/index.js';
import { createMemoryScheduleStore } from '../../schedules/store/memory.js';
import { createMemoryStorage } from '../../sessions/adapters/memory/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';

const ACME = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const BETA = 'Zq8w-Ty3u-Pl0k-Mn5b-Vc2x-Za7s-Df4g-Hj9k';
const CHAT = -1001234567890;
const START = Date.UTC(2026, 11, 2, 7, 10); // Wednesday, 08:10 in Berlin

let store: ScheduleStore;
let clock: ManualClock;

beforeEach(() => {
  store = createMemoryScheduleStore();
  clock = new ManualClock(START);
});

const app = () =>
  createApiApp({
    runner: createFakeRunner(),
    storage: createMemoryStorage(),
    logger: createLogger({ level: 'error', write: () => {} }),
    clock,
    auth: createTokenAuth([
      { token: ACME, tenants: ['acme' as TenantId], label: 'acme-ops' },
      { token: BETA, tenants: ['beta' as TenantId] },
    ]),
    schedules: createScheduleService({ store, sync: localSync, clock, agentsOf: () => ['aws-support'] }),
  });

const call = (
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) =>
  app().request(`/v1/schedules/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.token ?? ACME}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });

const MORNING = {
  name: 'morning',
  cron: '0 9 * * 1-5',
  timezone: 'Europe/Berlin',
  prompt: "Summarise last night's alarms",
  target: { chat: CHAT, thread: 'new' },
};

type Body = Record<string, unknown> & { error?: { code: string; message: string; issues?: unknown[] } };
const body = async (res: Response): Promise<Body> => (await res.json()) as Body;

describe('/v1/schedules/:tenant', () => {
  it('creates (201), lists, reads with an ETag, and shows next_run in UTC with the zone', async () => {
    const created = await call('POST', 'acme', { body: MORNING });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/schedules/acme/morning');
    expect(created.headers.get('etag')).toBe('"1"');
    const json = await body(created);
    expect(json).toEqual({
      ...MORNING,
      enabled: true,
      origin: 'runtime',
      paused: false,
      version: 1,
      // 09:00 in Berlin (UTC+1 in December) on Wednesday 2 December 2026.
      next_run: '2026-12-02T08:00:00.000Z',
      topic: null,
      last_due_at: null,
      created_by: 'token:acme-ops',
      created_at: new Date(START).toISOString(),
      updated_at: new Date(START).toISOString(),
    });
    expect(await body(await call('GET', 'acme'))).toEqual({ schedules: [json] });
    const one = await call('GET', 'acme/morning');
    expect(one.headers.get('etag')).toBe('"1"');
    expect(await body(one)).toEqual(json);
    expect((await store.get('acme' as TenantId, 'morning' as ScheduleName))?.origin).toBe('runtime');
  });

  it('takes a rate with the default zone', async () => {
    const res = await call('POST', 'acme', {
      body: { name: 'db', every: '15m', prompt: 'p', target: { chat: 5 } },
    });
    expect(await body(res)).toMatchObject({
      every: '15m',
      timezone: 'UTC',
      next_run: '2026-12-02T07:15:00.000Z',
    });
  });

  it('answers 409 for an existing name', async () => {
    await call('POST', 'acme', { body: MORNING });
    const res = await call('POST', 'acme', { body: MORNING });
    expect(res.status).toBe(409);
    expect((await body(res)).error).toEqual({
      code: 'schedule_conflict',
      message: 'a schedule named "morning" exists already',
    });
  });

  it.each([
    [{ cron: '0 9 * *' }, 'cron', /must have 5 fields/],
    [{ cron: '*/1 * * * *' }, 'cron', /more often than every 5 minutes/],
    [{ cron: undefined, every: '2m' }, 'every', /at most every 5 minutes/],
    [{ timezone: 'Mars/Olympus' }, 'timezone', /unknown time zone/],
    [{ target: { chat: 'ops' } }, 'target.chat', /Telegram chat id/],
    [{ colour: 'red' }, 'colour', /unknown field/],
  ])('refuses %j with 400 naming %s', async (change, field, message) => {
    const res = await call('POST', 'acme', { body: { ...MORNING, ...change } });
    expect(res.status).toBe(400);
    const error = (await body(res)).error!;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain(field);
    expect(error.issues).toEqual([{ path: field, message: expect.stringMatching(message) as string }]);
    expect(await store.list('acme' as TenantId)).toEqual([]);
  });

  it('refuses an unknown agent naming the field', async () => {
    const res = await call('POST', 'acme', { body: { ...MORNING, agent: 'nope' } });
    expect(res.status).toBe(400);
    expect((await body(res)).error).toEqual({
      code: 'invalid_schedule',
      message: 'agent: unknown agent "nope" (known: aws-support)',
    });
  });

  it("keeps tenants apart: 403 for another tenant's schedules, before anything is read", async () => {
    await call('POST', 'acme', { body: MORNING });
    for (const [method, path] of [
      ['GET', 'acme'],
      ['GET', 'acme/morning'],
      ['PATCH', 'acme/morning'],
      ['DELETE', 'acme/morning'],
      ['POST', 'acme'],
    ] as const) {
      const res = await call(method, path, {
        token: BETA,
        ...(method === 'PATCH' || method === 'POST' ? { body: MORNING } : {}),
      });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    expect(await body(await call('GET', 'beta', { token: BETA }))).toEqual({ schedules: [] });
    expect((await call('GET', 'acme')).status).toBe(200);
    expect((await call('GET', 'acme', { token: 'wrong' })).status).toBe(401);
  });

  it('PATCH changes what the body sets, checks If-Match, and pauses', async () => {
    await call('POST', 'acme', { body: MORNING });
    const changed = await call('PATCH', 'acme/morning', {
      body: { every: '1h', prompt: 'Hourly check', model: 'haiku' },
      headers: { 'if-match': '"1"' },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    const json = await body(changed);
    expect(json).toMatchObject({
      every: '1h',
      prompt: 'Hourly check',
      model: 'haiku',
      timezone: 'Europe/Berlin',
      version: 2,
    });
    expect(json.cron).toBeUndefined();

    const stale = await call('PATCH', 'acme/morning', {
      body: { prompt: 'x' },
      headers: { 'if-match': '1' },
    });
    expect(stale.status).toBe(409);
    expect((await body(stale)).error?.message).toMatch(/at version 2, not 1/);

    const paused = await call('PATCH', 'acme/morning', { body: { paused: true } });
    expect(await body(paused)).toMatchObject({ paused: true, version: 3, next_run: null });
    expect(await body(await call('PATCH', 'acme/morning', { body: { model: null } }))).not.toHaveProperty(
      'model',
    );
  });

  it('PATCH refuses a bad field, a bad If-Match and an unknown name', async () => {
    await call('POST', 'acme', { body: MORNING });
    const bad = await call('PATCH', 'acme/morning', { body: { cron: '* * * * *' } });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error?.issues).toEqual([
      { path: 'cron', message: expect.stringMatching(/5 minutes/) as string },
    ]);
    const both = await call('PATCH', 'acme/morning', { body: { name: 'other' } });
    expect((await body(both)).error?.issues).toEqual([{ path: 'name', message: 'unknown field' }]);
    const header = await call('PATCH', 'acme/morning', {
      body: { paused: true },
      headers: { 'if-match': 'abc' },
    });
    expect((await body(header)).error?.issues).toEqual([
      { path: 'If-Match', message: expect.any(String) as string },
    ]);
    const ghost = await call('PATCH', 'acme/ghost', { body: { paused: true } });
    expect(ghost.status).toBe(404);
    expect((await body(ghost)).error?.code).toBe('schedule_not_found');
    const hostile = await call('GET', 'acme/..%2Fetc');
    expect(hostile.status).toBe(400);
  });

  it('DELETE removes (204) and then answers 404', async () => {
    await call('POST', 'acme', { body: MORNING });
    const res = await call('DELETE', 'acme/morning');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await call('GET', 'acme/morning')).status).toBe(404);
    expect((await call('DELETE', 'acme/morning')).status).toBe(404);
  });

  it('lets a schedules.yaml schedule only be paused or resumed', async () => {
    await store.put(
      {
        name: 'nightly' as ScheduleName,
        timing: { type: 'cron', expression: '0 3 * * *' },
        timezone: 'UTC',
        prompt: 'Nightly report',
        target: { chat: CHAT },
        enabled: true,
        tenant: 'acme' as TenantId,
        origin: 'config',
        paused: false,
        createdBy: 'config',
        createdAt: START,
        updatedAt: START,
        version: 0,
      },
      0,
    );
    for (const res of [
      await call('PATCH', 'acme/nightly', { body: { prompt: 'changed' } }),
      await call('DELETE', 'acme/nightly'),
    ]) {
      expect(res.status).toBe(409);
      expect((await body(res)).error).toEqual({
        code: 'schedule_from_config',
        message:
          'schedule "nightly" is defined in schedules.yaml: change it there (it may only be paused or resumed here)',
      });
    }
    expect(await body(await call('PATCH', 'acme/nightly', { body: { paused: true } }))).toMatchObject({
      origin: 'config',
      paused: true,
      prompt: 'Nightly report',
    });
  });

  it('is absent when the app has no schedule service', async () => {
    const bare = createApiApp({
      runner: createFakeRunner(),
      storage: createMemoryStorage(),
      logger: createLogger({ level: 'error', write: () => {} }),
      auth: createTokenAuth([{ token: ACME, tenants: 'all' }]),
    });
    const res = await bare.request('/v1/schedules/acme', { headers: { authorization: `Bearer ${ACME}` } });
    expect(res.status).toBe(404);
  });
});
