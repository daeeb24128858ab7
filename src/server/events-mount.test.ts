import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../test/deploy/fake-runner.js';
import { IssueList } from '../config/agent-config/issues.js';
import { parseEventRoutes } from '../config/agent-config/events.js';
import { ManualClock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import { createLogger } from '../core/logger.js';
import type { QueuedMessage } from '../queue/types.js';
import { createMemoryClaimStore } from '../schedules/store/memory.js';
import { createSqliteStorage, type SqliteStorage } from '../sessions/adapters/sqlite/index.js';
import { createApiApp } from './app.js';
import { createTokenAuth } from './auth.js';

const API_TOKEN = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const EVENTS_TOKEN = 'ev-7Hq2-Lm9x-Pz4c-Rt8w-Nb5y-Ks1d-Gf6j';
const routes = parseEventRoutes(
  'version: 1\nroutes:\n  - name: any\n    prompt: "Check {{title}}"\n    target: { chat: 12 }\n',
  new IssueList(),
);

let dir: string;
let storage: SqliteStorage;
let queued: QueuedMessage[];
let lines: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-events-api-'));
  storage = createSqliteStorage({ dataDir: dir });
  queued = [];
  lines = [];
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function api() {
  const clock = new ManualClock(Date.parse('2026-12-02T04:00:00Z'));
  return createApiApp({
    runner: createFakeRunner(),
    storage,
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    auth: createTokenAuth([{ token: API_TOKEN, tenants: 'all' }]),
    clock,
    events: {
      tenants: (t) => (t === ('acme' as TenantId) ? { tokens: [EVENTS_TOKEN], routes } : undefined),
      claims: createMemoryClaimStore({ clock }),
      queue: { enqueue: async (item) => void queued.push(item) },
      logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    },
  });
}

const post = (path: string, authorization: string, body: unknown = { title: 'Disk full' }) =>
  api().request(path, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('POST /v1/events/:tenant in the API app', () => {
  it('takes the event token, not the API bearer auth', async () => {
    const res = await post('/v1/events/acme', `Bearer ${EVENTS_TOKEN}`);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued' });
    expect(queued).toHaveLength(1);
  });

  it('refuses the API token on the events route, and the events token on the API', async () => {
    expect((await post('/v1/events/acme', `Bearer ${API_TOKEN}`)).status).toBe(401);
    expect((await post('/v1/chat', `Bearer ${EVENTS_TOKEN}`, { message: 'hi' })).status).toBe(401);
    expect(queued).toHaveLength(0);
  });

  it('never writes a token to the log', async () => {
    await post('/v1/events/acme', `Basic ${Buffer.from(`sns:${EVENTS_TOKEN}`).toString('base64')}`);
    await post('/v1/events/acme', 'Bearer wrong-token-value');
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('\n');
    expect(all).not.toContain(EVENTS_TOKEN);
    expect(all).not.toContain('wrong-token-value');
    expect(all).not.toContain(Buffer.from(`sns:${EVENTS_TOKEN}`).toString('base64'));
  });

  it('keeps API auth on every other /v1 path', async () => {
    const res = await api().request('/v1/events/acme/extra', { method: 'POST' });
    expect(res.status).toBe(401);
  });
});
