import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunner, TurnRequest } from '../../src/agent/types.js';
import { errorMessage } from '../../src/core/errors.js';
import {
  isTenantId,
  parseChatId,
  parseSessionId,
  parseThreadId,
  parseTenantId,
  type TenantId,
} from '../../src/core/ids.js';
import { conversationKeyString, parseSubpath } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import {
  TRAVERSAL_SEGMENTS,
  deepBody,
  hostileIdValue,
  hostileSegment,
  malformedJson,
  trickyText,
} from './arbitraries.js';
import {
  RUNS,
  SEED,
  STACK_TRACE_RE,
  createFigures,
  since,
  watchCrashes,
  yieldToEventLoop,
} from './figures.js';

/**
 * Fuzzes the agent HTTP API (`POST /v1/chat`, `GET|DELETE /v1/conversations/:tenant/:chat/:thread`,
 * `GET …/transcript`) with hostile ids, bodies and tokens, over real SQLite storage. The runner is a
 * stand-in that persists like the real one (lease → transcript append → conversation touch), so
 * whatever key the API lets through is written. Invariants: never 5xx, errors as
 * `{ error: { code, message } }` without a stack trace, no turn outside the caller's tenants, and
 * afterwards every row of the raw database belongs to an allowed tenant with well-formed ids.
 */

const TOKEN_A = 'tokA-7f3e9c1b2d4a6e8f0a1b3c5d7e9f1a2b';
const TOKEN_B = 'tokB-0c2e4a6b8d1f3e5a7c9b2d4f6e8a0c1e';
const SCOPES: Record<string, readonly TenantId[]> = {
  [TOKEN_A]: ['default', 'acme'].map((t) => parseTenantId(t)),
  [TOKEN_B]: [parseTenantId('beta')],
};
const ALLOWED = new Set(['default', 'acme', 'beta']);
const TENANTS = ['default', 'acme', 'beta'];
const CHATS = ['42', '-1001234567890', 'ops_room', 'a-b_c'];
const THREADS = ['main', '7', 'release-2'];

interface Turn {
  request: TurnRequest;
  token: string | undefined;
}

/** Persists like the real runner (lease, fenced append, conversation touch); records each turn. */
function persistingRunner(storage: SqliteStorage, turns: TurnRequest[]): AgentRunner {
  return {
    async runTurn(request) {
      turns.push(request);
      // What the real runner does with the time (it is written into the prompt): an invalid Date
      // accepted by validation throws here, so the run sees a 500, not a quiet 200.
      request.messageTime?.toISOString();
      const lease = await storage.leases.acquire(request.key, { ttlMs: 10_000, waitMs: 2_000 });
      try {
        const existing = await storage.conversations.get(request.key);
        const sessionId = existing?.sessionId ?? parseSessionId(randomUUID());
        const key = { projectKey: request.key.tenant, sessionId };
        await storage.transcriptsFor(lease).append(key, [
          { type: 'user', uuid: randomUUID(), message: { role: 'user', content: request.text } },
          { type: 'assistant', uuid: randomUUID(), message: { role: 'assistant', content: 'ok' } },
        ]);
        if (request.text.startsWith('sub')) {
          await storage
            .transcriptsFor(lease)
            .append({ ...key, subpath: 'subagents/agent-x' }, [
              { type: 'user', uuid: randomUUID(), message: { content: 'task' } },
            ]);
        }
        await storage.conversations.touch(request.key, sessionId);
        return {
          response: 'ok',
          session_id: sessionId,
          cost_usd: 0,
          num_turns: 1,
          is_error: false,
          error_message: null,
          error_code: null,
          usage: {
            input_tokens: 1,
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
          model: 'fake',
          duration_ms: 0,
        };
      } finally {
        await storage.leases.release(lease);
      }
    },
    async resetConversation() {},
  };
}

// ---------- inputs ----------

type AuthClass = 'A' | 'B' | 'missing' | 'near-miss' | 'basic' | 'garbage';

const authHeader: fc.Arbitrary<{ cls: AuthClass; header: string | undefined; token: string | undefined }> =
  fc.oneof(
    {
      arbitrary: fc
        .constantFrom(`Bearer ${TOKEN_A}`, `bearer  ${TOKEN_A} `)
        .map((h) => ({ cls: 'A' as const, header: h, token: TOKEN_A })),
      weight: 6,
    },
    { arbitrary: fc.constant({ cls: 'B' as const, header: `Bearer ${TOKEN_B}`, token: TOKEN_B }), weight: 3 },
    { arbitrary: fc.constant({ cls: 'missing' as const, header: undefined, token: undefined }), weight: 1 },
    {
      arbitrary: fc
        .constantFrom(
          `Bearer ${TOKEN_A}x`,
          `Bearer ${TOKEN_A.slice(0, -1)}`,
          `Bearer ${TOKEN_A.toUpperCase()}`,
          `Bearer ${TOKEN_A} ${TOKEN_B}`,
          `Bearer ${TOKEN_A},${TOKEN_B}`,
          `Bearer`,
          `Bearer `,
          `Token ${TOKEN_A}`,
        )
        .map((h) => ({ cls: 'near-miss' as const, header: h, token: undefined })),
      weight: 2,
    },
    {
      arbitrary: fc.constant({
        cls: 'basic' as const,
        header: `Basic ${Buffer.from(`x:${TOKEN_A}`).toString('base64')}`,
        token: undefined,
      }),
      weight: 1,
    },
    {
      arbitrary: fc
        .string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 60,
        })
        .map((h) => ({ cls: 'garbage' as const, header: h, token: undefined })),
      weight: 1,
    },
  );

const chatBody = fc.record(
  {
    user_message: fc.oneof(
      { arbitrary: trickyText(500).filter((t) => t.length > 0), weight: 8 },
      { arbitrary: fc.constantFrom('sub: spawn a subagent', ''), weight: 1 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
    ),
    chat_id: hostileIdValue(CHATS, 30),
    thread_id: fc.oneof(hostileIdValue(THREADS, 30), fc.constant(null)),
    tenant: hostileIdValue(TENANTS, 30),
    model: fc.oneof({ arbitrary: fc.constant('haiku'), weight: 9 }, { arbitrary: trickyText(30), weight: 1 }),
    message_time: fc.oneof(
      { arbitrary: fc.constant('2025-01-01T00:00:00Z'), weight: 6 },
      {
        arbitrary: fc.oneof(
          fc.integer(),
          fc.double(),
          fc.constantFrom(8.64e15, 8.64e15 + 1, 1e16, 1e20, Number.MAX_VALUE),
          trickyText(20),
        ),
        weight: 1,
      },
    ),
  },
  { requiredKeys: ['user_message', 'chat_id'] },
);

type BodyClass = 'chat' | 'json' | 'malformed' | 'deep' | 'huge';
const HUGE_CHAT = JSON.stringify({ user_message: 'x'.repeat(1024 * 1024 + 7), chat_id: 1 });
const OVER_LIMIT = JSON.stringify({ user_message: 'y'.repeat(300 * 1024), chat_id: 1 });

const postBody: fc.Arbitrary<{ cls: BodyClass; text: string }> = fc.oneof(
  { arbitrary: chatBody.map((b) => ({ cls: 'chat' as const, text: JSON.stringify(b) })), weight: 30 },
  {
    arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ cls: 'json' as const, text: JSON.stringify(v) })),
    weight: 5,
  },
  { arbitrary: malformedJson.map((t) => ({ cls: 'malformed' as const, text: t })), weight: 6 },
  { arbitrary: deepBody.map((t) => ({ cls: 'deep' as const, text: t })), weight: 2 },
  {
    arbitrary: fc.constantFrom(HUGE_CHAT, OVER_LIMIT).map((t) => ({ cls: 'huge' as const, text: t })),
    weight: 1,
  },
);

const SUBPATHS = [
  'subagents/agent-x',
  '../main',
  'subagents/../../other',
  '/etc/passwd',
  'a\u0000b',
  '..',
  'subagents/agent-x/../../..',
  '%2e%2e',
  '',
  'x'.repeat(600),
];

/** `arb` once in `n` cases, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: arb, weight: 1 }, { arbitrary: fc.constant(undefined), weight: n - 1 });

const conversationRequest = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'DELETE', 'DELETE', 'PUT', 'POST'),
  tenant: hostileSegment(TENANTS, 16),
  chat: hostileSegment(CHATS, 16),
  thread: hostileSegment(THREADS, 16),
  transcript: fc.boolean(),
  subpath: sometimes(fc.oneof(fc.constantFrom(...SUBPATHS), trickyText(40)), 3),
  format: sometimes(fc.constantFrom('json', 'json', 'jsonl', '%00'), 3),
  extraSegments: sometimes(fc.constantFrom('..', '../..', 'x/y', '%2f..'), 8),
});

const apiCase = fc.record({
  auth: authHeader,
  request: fc.oneof(
    { arbitrary: postBody.map((body) => ({ kind: 'chat' as const, body })), weight: 5 },
    { arbitrary: conversationRequest.map((conv) => ({ kind: 'conversation' as const, conv })), weight: 4 },
  ),
});

// ---------- the run ----------

let dir: string;
let storage: SqliteStorage;
const turns: TurnRequest[] = [];
const logLines: string[] = [];
const crashWatch = watchCrashes();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omni-hostile-api-'));
  storage = createSqliteStorage({ dataDir: dir });
});
afterAll(async () => {
  crashWatch.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile input: agent HTTP API', () => {
  it(`${RUNS} cases on /v1/chat and /v1/conversations → 4xx JSON errors, never 5xx, only allowed tenants in the raw store`, async () => {
    const figures = createFigures('agent API (/v1/chat, /v1/conversations) over SQLite');
    const app = createApiApp({
      runner: persistingRunner(storage, turns),
      storage,
      auth: createTokenAuth([
        { token: TOKEN_A, tenants: SCOPES[TOKEN_A] ?? [], label: 'a' },
        { token: TOKEN_B, tenants: SCOPES[TOKEN_B] ?? [], label: 'b' },
      ]),
      logger: createLogger({ level: 'debug', write: (l) => logLines.push(l), secrets: [TOKEN_A, TOKEN_B] }),
    });
    const attributed: Turn[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(apiCase, async ({ auth, request }) => {
          await yieldToEventLoop();
          const headers: Record<string, string> =
            auth.header !== undefined ? { authorization: auth.header } : {};
          let path: string;
          let init: RequestInit;
          const tags: string[] = [`auth:${auth.cls}`];
          if (request.kind === 'chat') {
            path = '/v1/chat';
            init = {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: request.body.text,
            };
            tags.push(`chat:${request.body.cls}`);
          } else {
            const c = request.conv;
            const query = new URLSearchParams();
            if (c.subpath !== undefined) query.set('subpath', c.subpath);
            if (c.format !== undefined) query.set('format', c.format);
            const qs = query.size > 0 ? `?${query.toString()}` : '';
            path = `/v1/conversations/${c.tenant}/${c.chat}/${c.thread}${c.transcript ? '/transcript' : ''}${c.extraSegments ? `/${c.extraSegments}` : ''}${qs}`;
            init = { method: c.method, headers };
            const hostile = [c.tenant, c.chat, c.thread].some((s) => TRAVERSAL_SEGMENTS.includes(s));
            tags.push(
              `conv:${c.method}${c.transcript ? ':transcript' : ''}`,
              hostile ? 'ids:hostile' : 'ids:plain',
            );
          }
          const before = turns.length;
          const started = performance.now();
          const res = await app.request(path, init);
          const text = await res.text();
          const ms = since(started);
          for (const t of turns.slice(before)) attributed.push({ request: t, token: auth.token });
          const outcome = checkReply(res, text, turns.slice(before), auth.token);
          if (outcome.problem) {
            const reason = `${outcome.problem} (${init.method} ${path.slice(0, 200)}, auth ${auth.cls}, body ${JSON.stringify(String(init.body ?? '').slice(0, 200))})`;
            figures.fail(reason);
            throw new Error(reason);
          }
          figures.record(outcome.label, ms, tags);
        }),
        { numRuns: RUNS, seed: SEED + 2, endOnFailure: true },
      );
    } finally {
      figures.print({ turns: turns.length, crashes: crashWatch.crashes.length });
    }
    expect(figures.failures).toEqual([]);
    expect(crashWatch.crashes).toEqual([]);
    expect(turns.length).toBeGreaterThan(50);

    // Every turn the API let through was inside the presenting token's scope.
    for (const { request, token } of attributed) {
      expect(token && SCOPES[token]?.includes(request.key.tenant)).toBe(true);
    }
    // No log line carries a token.
    expect(logLines.filter((l) => l.includes(TOKEN_A) || l.includes(TOKEN_B))).toEqual([]);

    const raw = rawDatabaseReport(storage.file);
    process.stdout.write(`[hostile] agent API raw SQLite after the run: ${JSON.stringify(raw.counts)}\n`);
    expect(raw.problems).toEqual([]);
    expect(raw.counts.conversations).toBeGreaterThan(0);
  });
});

function checkReply(
  res: Response,
  text: string,
  newTurns: readonly TurnRequest[],
  token: string | undefined,
): { label: string; problem?: string } {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}: ${text.slice(0, 200)}`);
  if (STACK_TRACE_RE.test(text)) problems.push('stack trace in the body');
  if (text.includes(TOKEN_A) || text.includes(TOKEN_B)) problems.push('token echoed in the body');
  let code = '';
  if (res.status >= 400) {
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') {
        problems.push(`error body not { error: { code, message } }: ${text.slice(0, 200)}`);
      } else {
        code = body.error.code;
      }
    } catch {
      problems.push(`error body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  for (const t of newTurns) {
    if (!token || !SCOPES[token]?.includes(t.key.tenant)) {
      problems.push(`turn in tenant ${t.key.tenant} for a caller without it`);
    }
  }
  const label = `${res.status}${code ? ` ${code}` : ''}`;
  return problems.length > 0 ? { label, problem: problems.join('; ') } : { label };
}

/**
 * Reads the database file with its own connection and SQL (never the adapter's): every row's
 * tenant is allowed and every id parses; transcript ids are `tenant#session#subpath`.
 */
function rawDatabaseReport(file: string): { problems: string[]; counts: Record<string, number> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => void (ok || problems.push(what));
  const tryParse = (what: string, parse: () => unknown) => {
    try {
      parse();
    } catch (err) {
      problems.push(`${what}: ${errorMessage(err)}`);
    }
  };
  try {
    const conversations = db
      .prepare('SELECT tenant, chat, thread, session_id FROM conversations')
      .all() as Array<Record<string, string>>;
    for (const r of conversations) {
      const where = `conversations row ${JSON.stringify(r)}`;
      expect(ALLOWED.has(r['tenant'] ?? ''), `${where}: tenant not allowed`);
      tryParse(where, () => {
        parseChatId(r['chat']);
        parseThreadId(r['thread']);
        parseSessionId(r['session_id']);
      });
    }
    const transcripts = db.prepare('SELECT id, tenant, session_id, subpath FROM transcripts').all() as Array<
      Record<string, string>
    >;
    const ids = new Set<string>();
    for (const r of transcripts) {
      const where = `transcripts row ${JSON.stringify(r)}`;
      ids.add(r['id'] ?? '');
      expect(ALLOWED.has(r['tenant'] ?? ''), `${where}: tenant not allowed`);
      expect(
        r['id'] === `${r['tenant']}#${r['session_id']}#${r['subpath']}`,
        `${where}: id does not match its parts`,
      );
      tryParse(where, () => {
        parseSessionId(r['session_id']);
        if (r['subpath'] !== '') parseSubpath(r['subpath']);
      });
    }
    const entries = db.prepare('SELECT DISTINCT transcript FROM entries').pluck().all() as string[];
    for (const t of entries) expect(ids.has(t), `entries of an unknown transcript ${JSON.stringify(t)}`);
    const leases = db.prepare('SELECT conversation FROM leases').pluck().all() as string[];
    for (const l of leases) {
      const [tenant = '', chat, thread, ...rest] = l.split(':');
      expect(rest.length === 0 && ALLOWED.has(tenant) && isTenantId(tenant), `lease ${JSON.stringify(l)}`);
      tryParse(`lease ${l}`, () => {
        const key = { tenant: parseTenantId(tenant), chat: parseChatId(chat), thread: parseThreadId(thread) };
        if (conversationKeyString(key) !== l) throw new Error('not canonical');
      });
    }
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number) ?? 0;
    return {
      problems,
      counts: {
        conversations: count('conversations'),
        transcripts: count('transcripts'),
        entries: count('entries'),
        leases: count('leases'),
      },
    };
  } finally {
    db.close();
  }
}
