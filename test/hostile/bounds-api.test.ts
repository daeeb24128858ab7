import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareTurnFiles } from '../../src/agent/turn-files.js';
import type { AgentRunner, TurnRequest } from '../../src/agent/types.js';
import { buildUserMessage, withAttachmentNotes, type MessagePart } from '../../src/agent/user-content.js';
import { SEGMENT_RE, parseRequestId, parseSessionId } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { conversationFilesDir } from '../../src/files/paths.js';
import { SCHEDULE_SPEC_SCHEMA } from '../../src/schedules/index.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { APPROVAL_REQUEST } from '../../src/server/routes/approvals.js';
import { CHAT_REQUEST } from '../../src/server/routes/chat-request.js';
import { PATCH_BODY } from '../../src/server/routes/schedules.js';
import { SETTINGS_PATCH } from '../../src/server/routes/session-query.js';
import { STOP_REQUEST } from '../../src/server/routes/stop.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { judge } from './bounds-support.js';
import { RUNS, SEED, createFigures, since, watchCrashes, yieldToEventLoop } from './figures.js';
import { boundIssues, schemaCases, type SchemaCase } from './schema-cases.js';

/**
 * Issue 18 for the agent HTTP API's bodies: every schema is bounded (the audit), and `POST /v1/chat`
 * handles whatever its schema accepts. Cases come from `CHAT_REQUEST` itself (`schemaCases`: valid
 * ones at every bound, invalid ones breaking one constraint) and go through the real app over real
 * SQLite storage, JSON and multipart. The runner stand-in does what the real runner does with a
 * request before the model sees it — the request id's grammar, the conversation's files
 * (`prepareTurnFiles`), the user message with its time and attachments (`buildUserMessage`,
 * `withAttachmentNotes`) — then persists like it (lease, fenced append, conversation touch). The
 * real runner with the real binary gets a bounded sample (test/e2e/chat-bounds.test.ts).
 */

const TOKEN = 'bounds-api-7c1e9a3f5b2d4e6a8c0b1d3f5a7e9c2b';
const BOUNDARY_SCHEMAS = {
  'POST /v1/chat (CHAT_REQUEST)': CHAT_REQUEST,
  'PATCH …/settings (SETTINGS_PATCH)': SETTINGS_PATCH,
  'POST /v1/approvals/:id (APPROVAL_REQUEST)': APPROVAL_REQUEST,
  'POST …/stop (STOP_REQUEST)': STOP_REQUEST,
  'POST /v1/schedules/:tenant (SCHEDULE_SPEC_SCHEMA)': SCHEDULE_SPEC_SCHEMA,
  'PATCH /v1/schedules/:tenant/:name (PATCH_BODY)': PATCH_BODY,
};

describe('bounds audit: the API bodies', () => {
  it.each(Object.entries(BOUNDARY_SCHEMAS))(
    '%s: every string, number, array and record is bounded',
    (_, schema) => {
      expect(boundIssues(schema)).toEqual([]);
    },
  );
});

// ---------- the runner stand-in ----------

/** What the real runner makes of a request before the model sees it, then a persisted turn. */
function convertingRunner(storage: SqliteStorage, workspace: string, seen: TurnRequest[]): AgentRunner {
  const filesDir = async (key: TurnRequest['key']) => {
    const dir = conversationFilesDir(workspace, key);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  return {
    filesDir,
    async runTurn(request) {
      seen.push(request);
      if (request.requestId !== undefined) parseRequestId(request.requestId);
      const dir = await filesDir(request.key);
      const attachments = request.attachments ?? [];
      await prepareTurnFiles({ store: storage.files, key: request.key, dir, attachments, warm: false });
      const part: MessagePart = {
        text: request.text,
        messageTime: request.messageTime,
        ...(attachments.length > 0 ? { attachments } : {}),
      };
      const message = await buildUserMessage([part], dir);
      // The text-only form (an answer to a pending approval request) of the same part.
      withAttachmentNotes(part, dir);
      const lease = await storage.leases.acquire(request.key, { ttlMs: 10_000, waitMs: 2_000 });
      try {
        const existing = await storage.conversations.get(request.key);
        const sessionId = existing?.sessionId ?? parseSessionId(randomUUID());
        await storage.transcriptsFor(lease).append({ projectKey: request.key.tenant, sessionId }, [
          { type: 'user', uuid: randomUUID(), message: message.message },
          { type: 'assistant', uuid: randomUUID(), message: { role: 'assistant', content: 'ok' } },
        ]);
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
          model: request.model ?? 'fake',
          duration_ms: 0,
        };
      } finally {
        await storage.leases.release(lease);
      }
    },
    async resetConversation() {},
  };
}

// ---------- the run ----------

let dir: string;
let storage: SqliteStorage;
const seen: TurnRequest[] = [];
const crashWatch = watchCrashes();
/** The server's error log lines: a 5xx case names its cause with the last one. */
const errorLines: string[] = [];
let app: ReturnType<typeof createApiApp>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omni-bounds-api-'));
  storage = createSqliteStorage({ dataDir: join(dir, 'data') });
  app = createApiApp({
    runner: convertingRunner(storage, join(dir, 'workspace'), seen),
    storage,
    auth: createTokenAuth([{ token: TOKEN, tenants: 'all', label: 'bounds' }]),
    logger: createLogger({ level: 'error', write: (line) => errorLines.push(line) }),
  });
});
afterAll(async () => {
  crashWatch.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

/** The turn's result from a plain or streamed (`event: result`) answer. */
function resultOf(text: string): { is_error?: unknown; error_message?: unknown } | undefined {
  const streamed = /event: result\ndata: (.*)\n/.exec(text)?.[1];
  try {
    return JSON.parse(streamed ?? text) as { is_error?: unknown };
  } catch {
    return undefined;
  }
}

/** An accepted case answered 200 must carry a turn that ran without error. */
function turnProblem(c: SchemaCase, status: number, text: string): string | undefined {
  if (c.kind !== 'valid' || status !== 200) return undefined;
  const result = resultOf(text);
  if (result?.is_error !== false) return `accepted input, failed turn: ${text.slice(0, 300)}`;
  return undefined;
}

async function runChatCases(
  name: string,
  cases: fc.Arbitrary<SchemaCase>,
  send: (c: SchemaCase) => Promise<{ res: Response; c: SchemaCase }>,
  seed: number,
): Promise<void> {
  const figures = createFigures(name);
  const turnsBefore = seen.length;
  let accepted = 0;
  let refused = 0;
  try {
    await fc.assert(
      fc.asyncProperty(cases, async (generated) => {
        await yieldToEventLoop();
        const started = performance.now();
        const { res, c } = await send(generated);
        const text = await res.text();
        const ms = since(started);
        const judged = judge(c, { status: res.status, text });
        const problem = judged.problem
          ? `${judged.problem}${res.status >= 500 ? ` [log: ${errorLines.at(-1) ?? ''}]` : ''}`
          : turnProblem(c, res.status, text);
        if (c.kind === 'valid') accepted++;
        else refused++;
        if (problem) {
          figures.fail(`${problem} (case ${JSON.stringify(c).slice(0, 200)})`);
          throw new Error(problem);
        }
        figures.record(judged.label, ms, [
          c.kind === 'valid' ? 'valid' : `broke:${c.broke.replace(/ .*/, '')}`,
        ]);
      }),
      { numRuns: RUNS, seed, endOnFailure: true },
    );
  } finally {
    figures.print({
      'cases (accepted / refused)': `${accepted} / ${refused}`,
      turns: seen.length - turnsBefore,
      crashes: crashWatch.crashes.length,
    });
  }
  expect(figures.failures).toEqual([]);
  expect(crashWatch.crashes).toEqual([]);
  expect(accepted).toBeGreaterThan(RUNS / 10);
  expect(refused).toBeGreaterThan(RUNS / 10);
}

describe('bounds: POST /v1/chat through the real route, files and user-message conversions', () => {
  it(`${RUNS} JSON cases from CHAT_REQUEST: accepted → a turn without error, refused → 400 naming the field`, async () => {
    await runChatCases(
      'POST /v1/chat JSON body (CHAT_REQUEST) over SQLite, request → turn conversions',
      schemaCases(CHAT_REQUEST, { longest: 120_000 }),
      async (c) => ({
        c,
        res: await app.request('/v1/chat', {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(c.value),
        }),
      }),
      SEED + 181,
    );
    // Every accepted time reached the prompt as a date (buildUserMessage wrote it with toISOString).
    expect(seen.filter((t) => t.messageTime !== undefined && Number.isNaN(t.messageTime.getTime()))).toEqual(
      [],
    );
  }, 300_000);

  it(`${RUNS} multipart cases: the accepted bodies as form fields and file parts, handled the same`, async () => {
    await runChatCases(
      'POST /v1/chat multipart body (chat-body.ts) over SQLite, request → turn conversions',
      schemaCases(CHAT_REQUEST, { longest: 120_000 }).map(asMultipartCase),
      async (c) => ({
        c,
        res: await app.request('/v1/chat', { method: 'POST', headers: auth, body: formOf(c.value) }),
      }),
      SEED + 182,
    );
  }, 300_000);
});

const USER_MESSAGE_MAX = 100_000;

/**
 * A JSON case as a form. Text fields are text, so a broken type (`7` for a string) reads as its
 * text and may be valid: such cases become one plain valid body. Files are parts, not base64
 * items: of the attachment rules only the count applies (named `file`), the others are JSON-only
 * and their cases are sent without the broken item. A form sends line breaks as CRLF (the HTML form
 * encoding), which can push a message at its bound past it: then it is a refused case. A number
 * past an id's integer range is, as text, an id of the string grammar: a valid case.
 */
function asMultipartCase(c: SchemaCase): SchemaCase {
  const value = c.value as Record<string, unknown>;
  // A body that is no object is an empty form.
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'invalid', value: {}, path: 'user_message', broke: 'required (empty form)' };
  if (c.kind === 'invalid' && c.broke.startsWith('type'))
    return { kind: 'valid', value: { user_message: 'x', chat_id: 'typed' } };
  // A number out of an id's integer range is, as text, an id in the string grammar.
  const id = c.kind === 'invalid' && ['chat_id', 'thread_id'].includes(c.path) ? value[c.path] : undefined;
  if (typeof id === 'number' && SEGMENT_RE.test(String(id))) return { kind: 'valid', value };
  if (c.kind === 'invalid' && c.path.startsWith('attachments')) {
    if (c.broke.startsWith('maxItems')) return { ...c, path: 'file' };
    return asMultipartCase({ kind: 'valid', value: { ...value, attachments: undefined } });
  }
  const message = value['user_message'];
  if (typeof message === 'string' && crlf(message).length > USER_MESSAGE_MAX)
    return { kind: 'invalid', value, path: 'user_message', broke: 'maxLength 100000 (CRLF)' };
  return c;
}

const crlf = (s: string): string => s.replace(/\r\n|\r|\n/g, '\r\n');

function formOf(value: unknown): FormData {
  const form = new FormData();
  if (typeof value !== 'object' || value === null) return form;
  for (const [name, field] of Object.entries(value)) {
    if (field === undefined || field === null) continue;
    if (name === 'attachments' && Array.isArray(field)) {
      for (const a of field as Array<{ name?: unknown; data?: unknown }>) {
        const bytes = Buffer.from(String(a.data ?? ''), 'base64');
        form.append('file', new Blob([bytes]), String(a.name ?? 'file'));
      }
      continue;
    }
    form.append(name, typeof field === 'string' ? field : JSON.stringify(field));
  }
  return form;
}
