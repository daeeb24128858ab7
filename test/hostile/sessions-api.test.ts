import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunner } from '../../src/agent/types.js';
import { createConversationService } from '../../src/conversations/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { parseSessionId, parseTenantId, type SessionId, type TenantId } from '../../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { TRAVERSAL_SEGMENTS, deepBody, hostileSegment, malformedJson, trickyText } from './arbitraries.js';
import {
  RUNS,
  SEED,
  STACK_TRACE_RE,
  createFigures,
  since,
  watchCrashes,
  type Figures,
  yieldToEventLoop,
} from './figures.js';

/**
 * Fuzzes the session and settings routes of issue 17 over real SQLite and the real conversation
 * service: `GET …/:chat/:thread/sessions`, `POST …/sessions/new`, `POST …/sessions/:session/switch`,
 * `GET|PATCH …/settings`, and the tenant-wide `GET /:tenant/sessions`, `GET|DELETE
 * /:tenant/sessions/:session`, `GET …/:session/export`. Hostile ids in every path segment, hostile
 * query values and bodies, two tokens with disjoint tenants; acme and beta each hold real sessions
 * (one id in both), every title and transcript marked with its tenant. Invariants per case: never
 * 5xx, errors as `{ error: { code, message } }` without a stack trace, a 400 names its field, the
 * raw database (catalog, map incl. model/agent, transcripts) is unchanged by a refused request or
 * a read and changed only inside the caller's tenants otherwise, and no reply carries another
 * tenant's marker.
 */

const TOKEN_A = 'tokA-7f3e9c1b2d4a6e8f0a1b3c5d7e9f1a2b';
const TOKEN_B = 'tokB-0c2e4a6b8d1f3e5a7c9b2d4f6e8a0c1e';
const SCOPES: Record<string, readonly TenantId[]> = {
  [TOKEN_A]: ['default', 'acme'].map((t) => parseTenantId(t)),
  [TOKEN_B]: [parseTenantId('beta')],
};
const ALLOWED = new Set(['default', 'acme', 'beta']);
/** Each tenant's marker: in its titles and transcripts, never in a reply to a token without it. */
const MARKERS: Record<string, string> = { acme: 'ACME-ONLY', beta: 'BETA-ONLY' };

const START = Date.UTC(2026, 11, 2, 7, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHOICES = {
  models: { fast: 'claude-haiku-9', deep: 'claude-opus-9' },
  defaultModel: 'claude-sonnet-9',
  agents: ['aws-support'],
};

const sid = (digit: string): SessionId =>
  parseSessionId(
    `${digit.repeat(8)}-${digit.repeat(4)}-4${digit.repeat(3)}-8${digit.repeat(3)}-${digit.repeat(12)}`,
  );
/** In acme and in beta (the catalog and transcripts are keyed by tenant). */
const SHARED = sid('1');

interface Seed {
  key: ConversationKey;
  sessionId: SessionId;
  at: number;
  subagent?: boolean;
}
const acme = (chat: string, thread: string) => conversationKey({ tenant: 'acme', chat, thread });
const beta = (chat: string, thread: string) => conversationKey({ tenant: 'beta', chat, thread });
/** Seeded in this order; a conversation's last one is its current session. */
const SEEDS: readonly Seed[] = [
  { key: acme('ops', 'main'), sessionId: sid('4'), at: START - 30 * DAY }, // expired
  { key: acme('ops', 'main'), sessionId: SHARED, at: START - 3 * HOUR, subagent: true },
  { key: acme('ops', 'main'), sessionId: sid('2'), at: START - HOUR },
  { key: acme('42', '7'), sessionId: sid('3'), at: START - 2 * HOUR },
  { key: beta('ops', 'main'), sessionId: SHARED, at: START - 4 * HOUR, subagent: true },
  { key: beta('ops', 'main'), sessionId: sid('5'), at: START - 10 * 60_000 },
  { key: beta('-1001234567890', 'main'), sessionId: sid('6'), at: START - 5 * HOUR },
];
const SESSION_IDS = [...new Set(SEEDS.map((s) => s.sessionId)), sid('9') /* in no tenant */];

const TENANTS = ['acme', 'beta', 'default'];
const CHATS = ['ops', '42', '-1001234567890'];
const THREADS = ['main', '7'];

/** Resets like the real runner: the conversation's map record goes, under its lease. */
function resettingRunner(storage: SqliteStorage): AgentRunner {
  return {
    async runTurn() {
      throw new Error('no turns in this suite');
    },
    async resetConversation(key) {
      const lease = await storage.leases.acquire(key, { ttlMs: 10_000, waitMs: 0 });
      try {
        await storage.conversations.remove(key);
        return {};
      } finally {
        await storage.leases.release(lease);
      }
    },
  };
}

// ---------- inputs ----------

type AuthClass = 'A' | 'B' | 'missing' | 'near-miss';
const authHeader: fc.Arbitrary<{ cls: AuthClass; header: string | undefined; token: string | undefined }> =
  fc.oneof(
    { arbitrary: fc.constant({ cls: 'A' as const, header: `Bearer ${TOKEN_A}`, token: TOKEN_A }), weight: 6 },
    { arbitrary: fc.constant({ cls: 'B' as const, header: `Bearer ${TOKEN_B}`, token: TOKEN_B }), weight: 4 },
    { arbitrary: fc.constant({ cls: 'missing' as const, header: undefined, token: undefined }), weight: 1 },
    {
      arbitrary: fc
        .constantFrom(`Bearer ${TOKEN_A}x`, `Bearer ${TOKEN_B.toUpperCase()}`, `Bearer ${TOKEN_A},${TOKEN_B}`)
        .map((h) => ({ cls: 'near-miss' as const, header: h, token: undefined })),
      weight: 1,
    },
  );

/** A session id segment: seeded (either tenant), unknown, near-miss UUIDs, or hostile. */
const sessionSegment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: hostileSegment(SESSION_IDS, 10), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      SHARED.toUpperCase(),
      `${SHARED}%00`,
      ` ${SHARED}`,
      `${SHARED}.`,
      SHARED.replaceAll('-', ''),
      `{${SHARED}}`,
      `${SHARED.slice(0, -1)}g`,
      `..%2F${SHARED}`,
      encodeURIComponent(`${SHARED}/export`),
    ),
    weight: 1,
  },
  { arbitrary: fc.uuid().map((u) => u.toLowerCase()), weight: 1 },
);

/** One query value (raw: already encoded for the URL). */
const encoded = (arb: fc.Arbitrary<string>) =>
  arb.map((v) => encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd')));
const limitValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('1', '2', '10', '50', '1000'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '-1',
      '0',
      '1001',
      '99999',
      '100000',
      '1.5',
      '1e308',
      '1e3',
      '1e309',
      '',
      '0x10',
      '+5',
      '%205',
      '5%20',
      'Infinity',
      'NaN',
      '%D9%A3', // Arabic-Indic three
      '%EF%BC%91', // fullwidth one
      '%00',
      '%ZZ',
      '%',
      '%E0%A4%A',
      '9'.repeat(400),
    ),
    weight: 4,
  },
  {
    arbitrary: encoded(fc.oneof(fc.integer().map(String), fc.double().map(String), trickyText(20))),
    weight: 2,
  },
);
const formatValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('jsonl', 'md'), weight: 4 },
  {
    arbitrary: fc.constantFrom('JSONL', 'json', 'MD', '', 'md%20', '%00', '%ZZ', 'jsonl,md', '__proto__'),
    weight: 2,
  },
  { arbitrary: encoded(trickyText(20)), weight: 1 },
);
const idValue = (valid: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 4 },
    { arbitrary: fc.constantFrom('', '%ZZ', ...TRAVERSAL_SEGMENTS), weight: 2 },
    { arbitrary: encoded(trickyText(40)), weight: 1 },
  );

/** `name=value` pairs, a parameter sometimes repeated or left out. */
const params = (name: string, value: fc.Arbitrary<string>, absentWeight = 2) =>
  fc.oneof(
    { arbitrary: fc.constant([] as string[]), weight: absentWeight },
    { arbitrary: value.map((v) => [`${name}=${v}`]), weight: 4 },
    {
      arbitrary: fc.array(value, { minLength: 2, maxLength: 3 }).map((vs) => vs.map((v) => `${name}=${v}`)),
      weight: 1,
    },
  );

const settingValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom('fast', 'deep', 'aws-support', null), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      '',
      'FAST',
      ' fast',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'claude-haiku-9',
      'x'.repeat(201),
    ),
    weight: 3,
  },
  { arbitrary: trickyText(60), weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.jsonValue({ maxDepth: 2 })), weight: 2 },
);

type BodyClass = 'none' | 'settings' | 'extra-field' | 'proto' | 'json' | 'malformed' | 'deep' | 'huge';
const settingsBody = fc.record({ model: settingValue, agent: settingValue }, { requiredKeys: [] });
const PROTO_BODIES = [
  '{"__proto__":{"model":"fast"}}',
  '{"__proto__":{"polluted":true},"model":"fast"}',
  '{"constructor":{"prototype":{"model":"fast"}}}',
  '{"model":"fast","constructor":{"prototype":{"polluted":true}}}',
  '{"prototype":{"agent":"aws-support"}}',
  '{"model":"deep","model":"__proto__"}',
  '{"model":{"__proto__":"fast"}}',
];
const HUGE = [
  JSON.stringify({ model: 'x'.repeat(300 * 1024) }), // past the 256 KiB limit → 413
  JSON.stringify({ model: 'fast', pad: 'y'.repeat(1024 * 1024) }),
  JSON.stringify({ model: 'z'.repeat(200 * 1024) }), // within the limit, too long a value → 400
];
const hostileBody = (emptyWeight: number): fc.Arbitrary<{ cls: BodyClass; text: string | undefined }> =>
  fc.oneof(
    {
      arbitrary: fc.constantFrom(undefined, '', ' ', '{}').map((text) => ({ cls: 'none' as const, text })),
      weight: emptyWeight,
    },
    {
      arbitrary: settingsBody.map((b) => ({ cls: 'settings' as const, text: JSON.stringify(b) })),
      weight: 8,
    },
    {
      arbitrary: fc
        .tuple(
          settingsBody,
          fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), {
            minKeys: 1,
            maxKeys: 3,
          }),
        )
        .map(([b, extra]) => ({ cls: 'extra-field' as const, text: JSON.stringify({ ...extra, ...b }) })),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom(...PROTO_BODIES).map((text) => ({ cls: 'proto' as const, text })),
      weight: 2,
    },
    {
      arbitrary: fc
        .jsonValue({ maxDepth: 3 })
        .map((v) => ({ cls: 'json' as const, text: JSON.stringify(v) })),
      weight: 2,
    },
    { arbitrary: malformedJson.map((text) => ({ cls: 'malformed' as const, text })), weight: 3 },
    { arbitrary: deepBody.map((text) => ({ cls: 'deep' as const, text })), weight: 1 },
    { arbitrary: fc.constantFrom(...HUGE).map((text) => ({ cls: 'huge' as const, text })), weight: 1 },
  );

const tenantSeg = hostileSegment(TENANTS, 14);
const chatSeg = hostileSegment(CHATS, 14);
const threadSeg = hostileSegment(THREADS, 14);

interface Target {
  tenant: string;
  chat: string;
  thread: string;
  session: string;
}
const ids = (seed: Seed): Target => ({ ...seed.key, session: seed.sessionId });
/** A seeded session's own ids (so the route can succeed), another's session in it, or hostile slots. */
const target: fc.Arbitrary<Target> = fc.oneof(
  { arbitrary: fc.constantFrom(...SEEDS).map(ids), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...SEEDS), fc.constantFrom(...SEEDS))
      .map(([where, what]) => ({ ...ids(where), session: what.sessionId })),
    weight: 2,
  },
  {
    arbitrary: fc.record({ tenant: tenantSeg, chat: chatSeg, thread: threadSeg, session: sessionSegment }),
    weight: 3,
  },
);
const contentType = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json',
  'text/plain',
  undefined,
);

type Route =
  | 'conv:sessions'
  | 'conv:new'
  | 'conv:switch'
  | 'conv:settings'
  | 'conv:settings-patch'
  | 'tenant:list'
  | 'tenant:get'
  | 'tenant:export'
  | 'tenant:delete';

interface Case {
  route: Route;
  method: string;
  /** Path after `/v1/conversations/`, raw (segments as the arbitraries wrote them). */
  path: string;
  query: string[];
  body: { cls: BodyClass; text: string | undefined };
  contentType: string | undefined;
  segments: string[];
}

const conversationCase: fc.Arbitrary<Case> = fc
  .record({
    route: fc.constantFrom<Route>(
      'conv:sessions',
      'conv:new',
      'conv:switch',
      'conv:switch',
      'conv:settings',
      'conv:settings-patch',
      'conv:settings-patch',
    ),
    target,
    limit: params('limit', limitValue),
    body: hostileBody(18),
    patchBody: hostileBody(1),
    contentType,
    oddMethod: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 15 },
      { arbitrary: fc.constantFrom('PUT', 'DELETE', 'GET', 'POST'), weight: 1 },
    ),
  })
  .map((r) => {
    const base = `${r.target.tenant}/${r.target.chat}/${r.target.thread}`;
    const [method, path, query, body] = ((): [string, string, string[], Case['body']] => {
      switch (r.route) {
        case 'conv:sessions':
          return ['GET', `${base}/sessions`, r.limit, { cls: 'none', text: undefined }];
        case 'conv:new':
          return ['POST', `${base}/sessions/new`, [], r.body];
        case 'conv:switch':
          return ['POST', `${base}/sessions/${r.target.session}/switch`, [], r.body];
        case 'conv:settings':
          return ['GET', `${base}/settings`, [], { cls: 'none', text: undefined }];
        default:
          return ['PATCH', `${base}/settings`, [], r.patchBody];
      }
    })();
    const { tenant, chat, thread, session } = r.target;
    const segments = [tenant, chat, thread, ...(r.route === 'conv:switch' ? [session] : [])];
    return {
      route: r.route,
      method: r.oddMethod ?? method,
      path,
      query,
      body,
      contentType: r.contentType,
      segments,
    };
  });

const tenantCase: fc.Arbitrary<Case> = fc
  .record({
    route: fc.constantFrom<Route>('tenant:list', 'tenant:get', 'tenant:export', 'tenant:delete'),
    target,
    chat: params('chat', idValue(CHATS), 4),
    thread: params('thread', idValue(THREADS), 4),
    limit: params('limit', limitValue),
    format: params('format', formatValue),
    body: fc.oneof(
      { arbitrary: fc.constant({ cls: 'none' as const, text: undefined }), weight: 6 },
      { arbitrary: hostileBody(0), weight: 1 },
    ),
    contentType,
    oddMethod: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 15 },
      { arbitrary: fc.constantFrom('PUT', 'PATCH', 'POST'), weight: 1 },
    ),
  })
  .map((r) => {
    const [method, path, query] = ((): [string, string, string[]] => {
      switch (r.route) {
        case 'tenant:list':
          return ['GET', `${r.target.tenant}/sessions`, [...r.target.chat, ...r.target.thread, ...r.limit]];
        case 'tenant:get':
          return ['GET', `${r.target.tenant}/sessions/${r.target.session}`, []];
        case 'tenant:export':
          return ['GET', `${r.target.tenant}/sessions/${r.target.session}/export`, r.format];
        default:
          return ['DELETE', `${r.target.tenant}/sessions/${r.target.session}`, []];
      }
    })();
    const segments = [r.target.tenant, ...(r.route === 'tenant:list' ? [] : [r.target.session])];
    return {
      route: r.route,
      method: r.oddMethod ?? method,
      path,
      query,
      body: r.body,
      contentType: r.contentType,
      segments,
    };
  });

// ---------- the raw database ----------

/** Every row that a session route may write, keyed by table and primary key (own SQL, not the adapter's). */
function snapshot(db: Database.Database): Map<string, string> {
  const rows = new Map<string, string>();
  const add = (key: string[], row: unknown) => rows.set(key.join('|'), JSON.stringify(row));
  for (const r of db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>) {
    add(['sessions', String(r['tenant']), String(r['session_id'])], r);
  }
  for (const r of db
    .prepare(
      'SELECT tenant, chat, thread, session_id, turns, model, agent, pending_approval, updated_at FROM conversations',
    )
    .all() as Array<Record<string, unknown>>) {
    add(['conversations', String(r['tenant']), String(r['chat']), String(r['thread'])], r);
  }
  for (const r of db
    .prepare(
      'SELECT t.id, t.tenant, t.entries, t.next_seq, (SELECT COUNT(*) FROM entries e WHERE e.transcript = t.id) AS stored FROM transcripts t',
    )
    .all() as Array<Record<string, unknown>>) {
    add(['transcripts', String(r['tenant']), String(r['id'])], r);
  }
  return rows;
}

/** The keys of rows added, removed or changed between two snapshots. */
function changedRows(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k));
}

// ---------- the run ----------

let dir: string;
let storage: SqliteStorage;
let raw: Database.Database;
const clock = new ManualClock(START);
const logLines: string[] = [];
const crashWatch = watchCrashes();

/** Puts back what a successful DELETE, switch or reset took, so valid ids stay to attack. */
async function reseed(force = false): Promise<number> {
  let written = 0;
  for (const seed of SEEDS) {
    const tenant = seed.key.tenant;
    const kept = await storage.sessions.get(tenant, seed.sessionId);
    if (kept && !force) continue;
    await storage.sessions.recordTurn(seed.key, seed.sessionId, {
      at: seed.at,
      title: `${MARKERS[tenant]} question ${seed.sessionId.slice(0, 4)}`,
      costUsd: 0.25,
      model: 'claude-sonnet-9',
    });
    const main = { projectKey: tenant, sessionId: seed.sessionId };
    if (!(await storage.transcripts.stat(main))) {
      await storage.transcripts.append(main, [
        {
          type: 'user',
          uuid: `u-${seed.sessionId}`,
          message: { role: 'user', content: `${MARKERS[tenant]} q` },
        },
        {
          type: 'assistant',
          uuid: `a-${seed.sessionId}`,
          message: { role: 'assistant', content: `${MARKERS[tenant]} a` },
        },
      ]);
      if (seed.subagent) {
        await storage.transcripts.append({ ...main, subpath: 'subagents/agent-x' }, [
          { type: 'user', uuid: `s-${seed.sessionId}`, message: { content: `${MARKERS[tenant]} task` } },
        ]);
      }
    }
    written += 1;
  }
  // Each seeded conversation back on its last seeded session when it lost it.
  for (const seed of SEEDS.filter((s, i) => !SEEDS.slice(i + 1).some((later) => later.key === s.key))) {
    const map = await storage.conversations.get(seed.key);
    if (force || !map) await storage.conversations.touch(seed.key, seed.sessionId);
  }
  return written;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omni-hostile-sessions-'));
  storage = createSqliteStorage({ dataDir: dir, clock });
  await reseed(true);
  // The expired session (30 days ago) stays listed but cannot be continued.
  raw = new Database(storage.file, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  crashWatch.stop();
  raw?.close();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

function buildApp() {
  return createApiApp({
    runner: resettingRunner(storage),
    storage,
    clock,
    auth: createTokenAuth([
      { token: TOKEN_A, tenants: SCOPES[TOKEN_A] ?? [], label: 'a' },
      { token: TOKEN_B, tenants: SCOPES[TOKEN_B] ?? [], label: 'b' },
    ]),
    logger: createLogger({ level: 'debug', write: (l) => logLines.push(l), secrets: [TOKEN_A, TOKEN_B] }),
    conversations: createConversationService({
      storage,
      choices: async () => CHOICES,
      logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }),
      clock,
    }),
  });
}

async function runCases(figures: Figures, arb: fc.Arbitrary<Case>, seedOffset: number) {
  const app = buildApp();
  let reseeded = 0;
  const writes = { accepted: 0, rows: 0 };
  const routes: Partial<Record<Route, Record<number, number>>> = {};
  /** Replies carrying the caller's own tenant's marker: the control for the cross-tenant check. */
  let ownData = 0;
  await fc.assert(
    fc.asyncProperty(authHeader, arb, async (auth, c) => {
      await yieldToEventLoop();
      reseeded += await reseed();
      // fetch's Request refuses a GET with a body.
      const body = c.method === 'GET' ? { cls: 'none' as const, text: undefined } : c.body;
      const headers: Record<string, string> = {
        ...(auth.header !== undefined ? { authorization: auth.header } : {}),
        ...(c.contentType !== undefined && body.text !== undefined ? { 'content-type': c.contentType } : {}),
      };
      const path = `/v1/conversations/${c.path}${c.query.length > 0 ? `?${c.query.join('&')}` : ''}`;
      const init: RequestInit = {
        method: c.method,
        headers,
        ...(body.text !== undefined ? { body: body.text } : {}),
      };
      const before = snapshot(raw);
      const started = performance.now();
      const res = await app.request(path, init);
      const text = await res.text();
      const ms = since(started);
      const changed = changedRows(before, snapshot(raw));
      const problems = checkReply(res, text, auth.token);
      const scope = (auth.token && SCOPES[auth.token]) || [];
      if (changed.length > 0) {
        if (res.status >= 300) problems.push(`refused (${res.status}) but wrote ${changed.join(', ')}`);
        if (c.method === 'GET') problems.push(`a read wrote ${changed.join(', ')}`);
        for (const row of changed) {
          const tenant = row.split('|')[1] ?? '';
          if (!scope.includes(tenant as TenantId)) problems.push(`wrote ${row} outside the caller's tenants`);
        }
        if (res.status < 300) {
          writes.accepted += 1;
          writes.rows += changed.length;
        }
      }
      // Checked when the URL reaches the route as written (`#`, `..`, `%2e%2e` take it elsewhere).
      const asWritten = new URL(path, 'http://localhost').pathname === path.split('?')[0];
      if (res.status < 300 && asWritten) problems.push(...mayServe(c));
      const hostile = c.segments.some((s) => TRAVERSAL_SEGMENTS.includes(s));
      const label = outcomeLabel(res.status, text);
      if (problems.length > 0) {
        const reason = `${problems.join('; ')} (${c.method} ${path.slice(0, 200)}, auth ${auth.cls}, body ${JSON.stringify((body.text ?? '').slice(0, 120))}) → ${res.status} ${text.slice(0, 200)}`;
        figures.fail(reason);
        throw new Error(reason);
      }
      figures.record(label, ms, [
        `route:${c.route}`,
        `auth:${auth.cls}`,
        `body:${body.cls}`,
        hostile ? 'ids:hostile' : 'ids:plain',
        ...(c.query.length > 1 ? ['query:repeated'] : []),
      ]);
      if (Object.entries(MARKERS).some(([t, m]) => text.includes(m) && scope.includes(t as TenantId)))
        ownData += 1;
      const perStatus = (routes[c.route] ??= {});
      perStatus[res.status] = (perStatus[res.status] ?? 0) + 1;
    }),
    { numRuns: RUNS, seed: SEED + seedOffset, endOnFailure: true },
  );
  return { reseeded, writes, routes, ownData };
}

/**
 * What a 2xx on one session proves was addressed: the path's tenant holds that session (the
 * tenant-wide routes), and for a switch the path's conversation does. Segments as sent: a 2xx
 * through any other spelling of them (case, padding, encoding) is a finding too.
 */
function mayServe(c: Case): string[] {
  const [tenant, a, b, d] = c.segments;
  if (c.route === 'conv:switch') {
    const ok = SEEDS.some(
      (s) => s.key.tenant === tenant && s.key.chat === a && s.key.thread === b && s.sessionId === d,
    );
    return ok ? [] : ["switched to a session that is not one of the conversation's own"];
  }
  if (c.route === 'tenant:get' || c.route === 'tenant:export' || c.route === 'tenant:delete') {
    const ok = SEEDS.some((s) => s.key.tenant === tenant && s.sessionId === a);
    return ok ? [] : [`${c.route} served a session the tenant does not have`];
  }
  return [];
}

function outcomeLabel(status: number, text: string): string {
  if (status < 400) return String(status);
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? `${status} ${code}` : String(status);
  } catch {
    return String(status);
  }
}

/** The reply's own invariants: status, error shape, a named field, no other tenant's data. */
function checkReply(res: Response, text: string, token: string | undefined): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  if (STACK_TRACE_RE.test(text)) problems.push('stack trace in the body');
  if (text.includes(TOKEN_A) || text.includes(TOKEN_B)) problems.push('token echoed in the body');
  const scope = (token && SCOPES[token]) || [];
  for (const [tenant, marker] of Object.entries(MARKERS)) {
    if (text.includes(marker) && !scope.includes(tenant as TenantId))
      problems.push(`${tenant}'s data in the reply`);
  }
  if (res.status < 400) return problems;
  let error: { code?: unknown; message?: unknown; issues?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    problems.push('error body is not JSON');
    return problems;
  }
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    problems.push('error body not { error: { code, message } }');
    return problems;
  }
  const { code, message } = error;
  if (['invalid_request', 'unknown_model', 'unknown_agent'].includes(code)) {
    const issues = Array.isArray(error.issues)
      ? (error.issues as Array<{ path?: unknown; message?: unknown }>)
      : [];
    // A body's unknown field named '' is named by its path '' (all an issue can say of it).
    const unnamed = (i: { path?: unknown; message?: unknown }) =>
      typeof i.path !== 'string' || (i.path === '' && i.message !== 'unknown field');
    if (issues.length === 0 || issues.some(unnamed)) {
      problems.push(`${code} without the field it is about`);
    } else if (code === 'invalid_request' && issues.some((i) => !message.includes(String(i.path)))) {
      problems.push(`${code} message does not name its fields`);
    }
  }
  if (code === 'invalid_id' && !/invalid (tenant|chat|thread|session) id/.test(message)) {
    problems.push('invalid_id without the id it is about');
  }
  return problems;
}

/** Every row of the raw database belongs to an allowed tenant, and the seeds' other tenant is intact. */
function rawTenants(): { problems: string[]; counts: Record<string, number> } {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  for (const table of ['sessions', 'conversations', 'transcripts']) {
    const tenants = raw.prepare(`SELECT tenant FROM ${table}`).pluck().all() as string[];
    counts[table] = tenants.length;
    for (const t of tenants)
      if (!ALLOWED.has(t)) problems.push(`${table} row of tenant ${JSON.stringify(t)}`);
  }
  return { problems, counts };
}

describe('hostile input: session and settings routes', () => {
  for (const [title, arb, offset] of [
    [
      'conversation routes (…/:chat/:thread/sessions, sessions/new, sessions/:session/switch, settings)',
      conversationCase,
      11,
    ],
    ['tenant routes (/:tenant/sessions, sessions/:session, export, DELETE)', tenantCase, 12],
  ] as const) {
    it(`${RUNS} cases on the ${title} → 4xx JSON errors naming the field, never 5xx, nothing written on refusal or across tenants`, async () => {
      const figures = createFigures(`session API: ${title} over SQLite`);
      let extra: Record<string, unknown> = {};
      let accepted = 0;
      try {
        const { reseeded, writes, routes, ownData } = await runCases(figures, arb, offset);
        accepted = writes.accepted;
        extra = {
          reseeded,
          'accepted writes': writes,
          "replies with the caller's own data": ownData,
          'per route': routes,
        };
      } finally {
        figures.print({ ...extra, crashes: crashWatch.crashes.length });
      }
      expect(figures.failures).toEqual([]);
      expect(crashWatch.crashes).toEqual([]);
      expect(logLines.filter((l) => l.includes(TOKEN_A) || l.includes(TOKEN_B))).toEqual([]);
      // Some of each: refusals alone would prove nothing about writes.
      const outcomes = Object.keys(figures.histogram());
      expect(outcomes.some((o) => o.startsWith('200'))).toBe(true);
      expect(outcomes.some((o) => o.startsWith('400'))).toBe(true);
      // The snapshot sees writes (a control for "nothing written on refusal").
      expect(accepted).toBeGreaterThan(0);
      const report = rawTenants();
      process.stdout.write(
        `[hostile] session API raw SQLite after the run: ${JSON.stringify(report.counts)}\n`,
      );
      expect(report.problems).toEqual([]);
    });
  }
});
