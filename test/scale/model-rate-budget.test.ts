import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModelRateLimiter,
  MODEL_RATE_KEY_PREFIX,
  ModelRateLimitedError,
} from '../../src/agent/model-rate/index.js';
import type { TenantAgent } from '../../src/agent/profile.js';
import { createAgentRunner } from '../../src/agent/runner.js';
import type { AgentRunner, TurnEvent, TurnResult } from '../../src/agent/types.js';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { conversationKey } from '../../src/core/keys.js';
import { demoModel, startModelServer, type ModelHandler, type ModelServer } from '../../src/model/index.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { PLAIN_PROFILE } from '../support/agent-harness.js';
import { offlineRunnerDeps } from '../support/runner-deps.js';

/**
 * The per-tenant model request budget end to end (docs/scale.md §8.7): the real `claude` binary
 * against the offline model behind a provider-like rate limit (HTTP 429 + `retry-after` above
 * `ORG_LIMIT` requests per fixed window), three "containers" (own runner, own SQLite connection
 * and own limiter) sharing one SQLite file, the binary's retries off (a 429 fails the turn). Without the budget a
 * flood of one tenant meets 429s and turns fail; with it every turn waits for capacity and ends.
 */
const WINDOW_MS = 5_000;
/** The organisation's limit at the "provider": requests per window. */
const ORG_LIMIT = 8;
/**
 * The flooding tenant's budget: 36 a minute = 3 per 5 s window; the quiet tenant's 48 = 4. Together
 * 7, under the organisation's 8 (budgets are set below the provider's limit, with a margin).
 */
const BUDGETS: Record<Tenant, { perMinute: number; perWindow: number }> = {
  flood: { perMinute: 36, perWindow: 3 },
  quiet: { perMinute: 48, perWindow: 4 },
  /** 1 a window: the wait tests fill it themselves. */
  tight: { perMinute: 12, perWindow: 1 },
};
const CONTAINERS = 3;
const FLOOD_TURNS_PER_CONTAINER = 3;
/** One tool call (refused by the permission mode, which is enough): 2 model requests per turn. */
const PROMPT = 'call tool Read {"file_path":"/etc/hostname"}';

type Tenant = 'flood' | 'quiet' | 'tight';

interface Arrival {
  at: number;
  window: number;
  tenant: Tenant | 'unknown';
  refused: boolean;
}

/** The provider: a fixed window per `WINDOW_MS`, `ORG_LIMIT` requests each, 429 above (every tenant together). */
function rateLimitedModel(arrivals: Arrival[]): ModelHandler {
  const counts = new Map<number, number>();
  return (request) => {
    const at = Date.now();
    const window = Math.floor(at / WINDOW_MS);
    const body = JSON.stringify(request.body);
    const tenant = (/\/tenants\/(flood|quiet|tight)\b/.exec(body)?.[1] as Tenant | undefined) ?? 'unknown';
    const n = counts.get(window) ?? 0;
    const refused = n >= ORG_LIMIT;
    arrivals.push({ at, window, tenant, refused });
    if (refused) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - at) / 1000));
      return { kind: 'error', status: 429, message: 'rate limit: requests per window', retryAfterSeconds };
    }
    counts.set(window, n + 1);
    return demoModel(request);
  };
}

interface Ran {
  tenant: Tenant;
  result: TurnResult;
  waits: number[];
  endedAt: number;
}

let dir: string;
let model: ModelServer;
const arrivals: Arrival[] = [];
const storages: SqliteStorage[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-rpm-'));
  model = await startModelServer({ handler: rateLimitedModel(arrivals), record: false });
  for (let i = 0; i < CONTAINERS; i++) storages.push(createSqliteStorage({ dataDir: join(dir, 'data') }));
});

afterAll(async () => {
  await model?.close();
  for (const storage of storages) await storage.close();
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

/** One container: its own runner, SQLite connection and limiter (budget on or off). */
function container(storage: SqliteStorage, budget: boolean, maxWaitMs = 60_000): AgentRunner {
  const tenants = async (tenant: string): Promise<TenantAgent> => ({
    profile: PLAIN_PROFILE,
    workspace: await prepareWorkspace(join(dir, 'tenants', tenant)),
  });
  const deps = offlineRunnerDeps(model.url, storage, tenants);
  return createAgentRunner({
    ...deps,
    // No retries: a 429 fails the turn (the binary's default would retry 10 times over ~3 min).
    // The turn timeout leaves room for the waits on a loaded 2-core machine.
    limits: { ...deps.limits, maxRetries: 0, turnTimeoutMs: 150_000 },
    stopPollMs: 100,
    tenantPolicy: (tenant) => (budget ? { modelRequestsPerMinute: BUDGETS[tenant as Tenant].perMinute } : {}),
    ...(budget
      ? {
          modelRate: createModelRateLimiter({
            counter: storage.claims,
            windowMs: WINDOW_MS,
            maxWaitMs,
            jitterMs: 250,
          }),
        }
      : {}),
  });
}

async function run(runner: AgentRunner, tenant: Tenant, chat: string): Promise<Ran> {
  const waits: number[] = [];
  const result = await runner.runTurn({
    key: conversationKey({ tenant, chat }),
    text: PROMPT,
    onEvent: (event: TurnEvent) => {
      if (event.type === 'model_wait') waits.push(event.waitMs);
    },
  });
  return { tenant, result, waits, endedAt: Date.now() };
}

/** Starts at the beginning of a window (+50 ms), so a phase does not begin in a window's last second. */
async function atWindowStart(): Promise<number> {
  const now = Date.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS - (now % WINDOW_MS) + 50));
  return Date.now();
}

/** The flood: every container runs its turns of the tenant at once. */
function flood(runners: AgentRunner[], phase: string): Array<Promise<Ran>> {
  return runners.flatMap((runner, c) =>
    Array.from({ length: FLOOD_TURNS_PER_CONTAINER }, (_, t) => run(runner, 'flood', `${phase}-c${c}-t${t}`)),
  );
}

/** The budget's counters as stored (read from the SQLite file itself, not through the store). */
function storedCounters(file: string): Array<{ tenant: string; key: string; count: number }> {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { tenant: string; key: string; count: number }>(
        "SELECT tenant, key, count FROM claims WHERE key LIKE 'modelrpm#%' ORDER BY key",
      )
      .all();
  } finally {
    db.close();
  }
}

/** The quiet tenant: 2 turns, from containers 0 and 1. */
function quietPair(runners: AgentRunner[], phase: string): Array<Promise<Ran>> {
  return [0, 1].map((c) => run(runners[c] as AgentRunner, 'quiet', `${phase}-q${c}`));
}

function perWindow(list: Arrival[], tenant?: Tenant): number[] {
  const counts = new Map<number, number>();
  for (const a of list) {
    if (a.refused || (tenant && a.tenant !== tenant)) continue;
    counts.set(a.window, (counts.get(a.window) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a - b).map(([, n]) => n);
}

describe('model request budget per tenant (real binary, 3 containers, provider 429s)', () => {
  it('without the budget a flood meets 429s and turns fail (the "before")', async () => {
    const runners = storages.map((s) => container(s, false));
    arrivals.length = 0;
    const began = await atWindowStart();
    // The same turns as with the budget below: the flood and the quiet tenant's two.
    const ran = await Promise.all([...flood(runners, 'before'), ...quietPair(runners, 'before')]);
    const failed = ran.filter((r) => r.result.is_error);
    const refused = arrivals.filter((a) => a.refused).length;
    console.log(
      `[model-rate] before: ${ran.length} turns, ${failed.length} failed (${[...new Set(failed.map((r) => r.result.error_message?.slice(0, 80)))].join(' | ')}), ` +
        `${arrivals.length} requests, ${refused} answered 429, accepted per window ${perWindow(arrivals).join('/')}, ` +
        `last turn after ${((Math.max(...ran.map((r) => r.endedAt)) - began) / 1000).toFixed(1)} s`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.result.error_code === 'model_api_error')).toBe(true);
  }, 180_000);

  it('with the budget every turn waits for capacity and completes; another tenant does not wait', async () => {
    const runners = storages.map((s) => container(s, true));
    arrivals.length = 0;
    const began = await atWindowStart();
    const floodTurns = flood(runners, 'after');
    // The quiet tenant (its own budget) sends 2 turns in the middle of the flood.
    const quietTurns = quietPair(runners, 'after');
    const [flooded, quiet] = await Promise.all([Promise.all(floodTurns), Promise.all(quietTurns)]);
    const all = [...flooded, ...quiet];
    const refused = arrivals.filter((a) => a.refused);
    const waited = flooded.filter((r) => r.waits.length > 0);
    const lastFlood = Math.max(...flooded.map((r) => r.endedAt)) - began;
    const lastQuiet = Math.max(...quiet.map((r) => r.endedAt)) - began;
    console.log(
      `[model-rate] after: ${all.length} turns (${flooded.length} flood + ${quiet.length} quiet), ` +
        `${all.filter((r) => r.result.is_error).length} failed, ${arrivals.length} requests, ${refused.length} answered 429; ` +
        `accepted per window: all ${perWindow(arrivals).join('/')}, flood ${perWindow(arrivals, 'flood').join('/')}, ` +
        `quiet ${perWindow(arrivals, 'quiet').join('/')}; stored counters ${storedCounters(
          (storages[0] as SqliteStorage).file,
        )
          .map((c) => `${c.tenant[0]}${c.count}`)
          .join(' ')}; ${waited.length} flood turns waited ` +
        `(${waited.reduce((n, r) => n + r.waits.length, 0)} waits, ${(waited.reduce((n, r) => n + r.waits.reduce((m, w) => m + w, 0), 0) / 1000).toFixed(1)} s announced in all, at most ${(Math.max(...waited.map((r) => r.waits.reduce((m, w) => m + w, 0))) / 1000).toFixed(1)} s for one turn); quiet turns waited ${quiet.reduce((n, r) => n + r.waits.length, 0)} times; ` +
        `last flood turn after ${(lastFlood / 1000).toFixed(1)} s, last quiet turn after ${(lastQuiet / 1000).toFixed(1)} s`,
    );
    for (const r of all)
      expect(r.result, `${r.tenant}: ${r.result.error_message ?? ''}`).toMatchObject({ is_error: false });
    expect(arrivals.filter((a) => a.tenant === 'unknown')).toEqual([]);
    // Each turn made its 2 requests, none refused: the budget kept the flood under the limit.
    expect(refused).toEqual([]);
    expect(arrivals).toHaveLength(2 * all.length);
    expect(Math.max(...perWindow(arrivals))).toBeLessThanOrEqual(ORG_LIMIT);
    // The shared counters: 2 slots per turn (its start, its tool call) taken by 3 containers, never
    // more than the tenant's budget in any window.
    const counters = storedCounters((storages[0] as SqliteStorage).file);
    for (const tenant of ['flood', 'quiet'] as const) {
      const mine = counters.filter((c) => c.tenant === tenant);
      expect(mine.reduce((n, c) => n + c.count, 0)).toBe(2 * all.filter((r) => r.tenant === tenant).length);
      expect(Math.max(...mine.map((c) => c.count))).toBeLessThanOrEqual(BUDGETS[tenant].perWindow);
    }
    // 18 flood requests at 3 per window take ≥ 6 windows; its turns waited rather than failed.
    expect(waited.length).toBeGreaterThan(0);
    expect(lastFlood).toBeGreaterThan(5 * WINDOW_MS);
    // The quiet tenant's 4 requests fit its own window: never a wait, done long before the flood.
    expect(quiet.every((r) => r.waits.length === 0)).toBe(true);
    expect(lastQuiet).toBeLessThan(lastFlood);
  }, 180_000);

  it('a stop ends a wait at once; no capacity within the maximum wait fails the turn (model_rate_limited)', async () => {
    const storage = storages[0] as SqliteStorage;
    /** Takes the tenant's only slot of the window `ahead` windows from now (another container's turn). */
    const windowFull = async (ahead = 0): Promise<void> => {
      const now = Date.now();
      const key = `${MODEL_RATE_KEY_PREFIX}${now - (now % WINDOW_MS) + ahead * WINDOW_MS}`;
      await storage.claims.increment('tight' as never, key, 1, (ahead + 2) * WINDOW_MS);
    };
    arrivals.length = 0;
    await atWindowStart();

    // A stop while the turn waits for its first slot: the turn ends as stopped, nothing ran.
    await windowFull();
    const key = conversationKey({ tenant: 'tight', chat: 'stop' });
    let stopAt = 0;
    const stopped = await container(storage, true).runTurn({
      key,
      text: PROMPT,
      onEvent: (event) => {
        if (event.type !== 'model_wait' || stopAt > 0) return;
        stopAt = Date.now();
        void storage.leases.requestStop(key);
      },
    });
    const stopMs = Date.now() - stopAt;
    expect(stopAt).toBeGreaterThan(0);
    expect(stopped).toMatchObject({ is_error: true, error_code: 'turn_stopped' });
    // Generous: the stop is polled every 100 ms; the window had ~4.5 s left.
    expect(stopMs).toBeLessThan(2_500);

    // The window full and the maximum wait (1 s) shorter than the rest of it: refused before the
    // model is asked (429, a queue tries the message later).
    const refused = container(storage, true, 1_000).runTurn({
      key: conversationKey({ tenant: 'tight', chat: 'refused' }),
      text: PROMPT,
    });
    await expect(refused).rejects.toBeInstanceOf(ModelRateLimitedError);
    await expect(refused).rejects.toMatchObject({ code: 'model_rate_limited', status: 429 });
    expect(arrivals).toEqual([]);

    // Inside a turn: its first request takes this window's only slot, its tool call finds no
    // capacity within 1 s (the next windows are taken too, however slow the machine) — the hook
    // stops the binary before the follow-up request.
    await atWindowStart();
    for (let ahead = 1; ahead <= 12; ahead++) await windowFull(ahead);
    const cut = await container(storage, true, 1_000).runTurn({
      key: conversationKey({ tenant: 'tight', chat: 'cut' }),
      text: PROMPT,
    });
    expect(cut.is_error).toBe(true);
    expect(cut.error_message).toContain('model_rate_limited');
    expect(arrivals.filter((a) => a.tenant === 'tight')).toHaveLength(1);
    console.log(
      `[model-rate] stop during a wait: ended ${stopMs} ms after the stop request; cut turn: ${cut.error_message}`,
    );
  }, 60_000);
});
