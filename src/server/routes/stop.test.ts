import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../../test/deploy/fake-runner.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKey } from '../../core/keys.js';
import { createLogger } from '../../core/logger.js';
import { createSqliteStorage, type SqliteStorage } from '../../sessions/adapters/sqlite/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';

const ACME = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const BETA = 'Zq8w-Ty3u-Pl0k-Mn5b-Vc2x-Za7s-Df4g-Hj9k';

let dir: string;
let storage: SqliteStorage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-stop-'));
  storage = createSqliteStorage({ dataDir: dir });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const app = () =>
  createApiApp({
    runner: createFakeRunner(),
    storage,
    logger: createLogger({ level: 'error', write: () => {} }),
    auth: createTokenAuth([
      { token: ACME, tenants: ['acme' as TenantId] },
      { token: BETA, tenants: ['beta' as TenantId] },
    ]),
  });

const stop = (path: string, options: { token?: string; body?: unknown } = {}) =>
  app().request(`/v1/conversations/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.token ?? ACME}`, 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });

describe('POST /v1/conversations/:tenant/:chat/:thread/stop', () => {
  it('marks the running turn on the real lease: the runner holding it sees stopRequested', async () => {
    const key = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
    const lease = await storage.leases.acquire(key, { ttlMs: 60_000 });
    expect(await storage.leases.stopRequested(lease)).toBe(false);
    const res = await stop('acme/42/7/stop');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stopping: true, turn: lease.token });
    expect(await storage.leases.stopRequested(lease)).toBe(true);
    await storage.leases.release(lease);
  });

  it('addresses a thread-less conversation as thread `main`, like the other conversation routes', async () => {
    const lease = await storage.leases.acquire(conversationKey({ tenant: 'acme', chat: 'ops' }));
    expect(await (await stop('acme/ops/main/stop')).json()).toEqual({ stopping: true, turn: lease.token });
    expect(await storage.leases.stopRequested(lease)).toBe(true);
  });

  it('nothing running → 200 stopping:false with a message; a released lease is not running', async () => {
    const res = await stop('acme/42/7/stop');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      stopping: false,
      message: expect.stringMatching(/no turn is running/),
    });
    const key = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
    await storage.leases.release(await storage.leases.acquire(key));
    expect(await (await stop('acme/42/7/stop')).json()).toMatchObject({ stopping: false });
  });

  it('`turn` (body or query) stops only that turn', async () => {
    const key = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
    const lease = await storage.leases.acquire(key);
    const other = await stop('acme/42/7/stop', { body: { turn: lease.token + 1 } });
    expect(await other.json()).toEqual({
      stopping: false,
      message: `turn ${lease.token + 1} is not running in this conversation; nothing to stop`,
    });
    expect(await storage.leases.stopRequested(lease)).toBe(false);
    const query = await stop(`acme/42/7/stop?turn=${lease.token}`);
    expect(await query.json()).toEqual({ stopping: true, turn: lease.token });
    expect(await storage.leases.stopRequested(lease)).toBe(true);
    const both = await stop(`acme/42/7/stop?turn=${lease.token}`, { body: { turn: lease.token } });
    expect(both.status).toBe(200);
  });

  it('a bad `turn` → 400 invalid_request naming the field; nothing is marked', async () => {
    const key = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
    const lease = await storage.leases.acquire(key);
    for (const body of [{ turn: 0 }, { turn: -1 }, { turn: 1.5 }, { turn: '3' }, { turn: null }]) {
      const res = await stop('acme/42/7/stop', { body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'invalid_request', issues: [{ path: 'turn' }] },
      });
    }
    for (const query of ['0', 'abc', '1e3', '-2', '99999999999999999']) {
      const res = await stop(`acme/42/7/stop?turn=${query}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { issues: [{ path: 'turn' }] } });
    }
    const mismatch = await stop(`acme/42/7/stop?turn=${lease.token}`, { body: { turn: lease.token + 1 } });
    expect(mismatch.status).toBe(400);
    const malformed = await app().request('/v1/conversations/acme/42/7/stop', {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME}` },
      body: '{not json',
    });
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    expect(await storage.leases.stopRequested(lease)).toBe(false);
  });

  it("another tenant's token is refused (403) and the running turn is left alone", async () => {
    const lease = await storage.leases.acquire(conversationKey({ tenant: 'acme', chat: '42', thread: '7' }));
    const res = await stop('acme/42/7/stop', { token: BETA });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(await storage.leases.stopRequested(lease)).toBe(false);
    const anonymous = await app().request('/v1/conversations/acme/42/7/stop', { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(await storage.leases.stopRequested(lease)).toBe(false);
  });

  it('hostile ids → 400 invalid_id', async () => {
    const res = await stop('acme/..%2F..%2Fetc/7/stop');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_id');
  });
});
