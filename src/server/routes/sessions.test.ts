import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner, type FakeRunner } from '../../../test/deploy/fake-runner.js';
import { newApprovalId } from '../../approvals/ids.js';
import { createConversationService } from '../../conversations/index.js';
import { ManualClock } from '../../core/clock.js';
import { parseSessionId, type SessionId, type TenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { silentLogger } from '../../core/logger.js';
import { createSqliteStorage, type SqliteStorage } from '../../sessions/adapters/sqlite/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';

const ACME = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const BETA = 'Zq8w-Ty3u-Pl0k-Mn5b-Vc2x-Za7s-Df4g-Hj9k';
const START = Date.UTC(2026, 11, 2, 7, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const S1 = parseSessionId('11111111-1111-4111-8111-111111111111');
const S2 = parseSessionId('22222222-2222-4222-8222-222222222222');
const S3 = parseSessionId('33333333-3333-4333-8333-333333333333');
const OLD = parseSessionId('44444444-4444-4444-8444-444444444444');
const BETA_SESSION = parseSessionId('55555555-5555-4555-8555-555555555555');

const OPS = conversationKey({ tenant: 'acme', chat: 'ops', thread: 'main' });
const OTHER = conversationKey({ tenant: 'acme', chat: 'ops', thread: 'night' });
const BETA_OPS = conversationKey({ tenant: 'beta', chat: 'ops', thread: 'main' });

const CHOICES = {
  models: { fast: 'claude-haiku-9', deep: 'claude-opus-9' },
  defaultModel: 'claude-sonnet-9',
  agents: ['aws-support'],
};

let dir: string;
let clock: ManualClock;
let storage: SqliteStorage;
/** The runner's reset is covered end to end (test/e2e/sessions-api.test.ts); here: what reaches it. */
let runner: FakeRunner;

beforeEach(() => {
  runner = createFakeRunner();
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-sessions-api-'));
  clock = new ManualClock(START);
  storage = createSqliteStorage({ dataDir: dir, clock });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const app = () =>
  createApiApp({
    runner,
    storage,
    logger: silentLogger,
    clock,
    auth: createTokenAuth([
      { token: ACME, tenants: ['acme' as TenantId], label: 'acme-ops' },
      { token: BETA, tenants: ['beta' as TenantId], label: 'beta-ops' },
    ]),
    conversations: createConversationService({
      storage,
      choices: async () => CHOICES,
      logger: silentLogger,
      clock,
    }),
  });

const call = (
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string } = {},
) => {
  const body = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  return app().request(`/v1/conversations/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.token ?? ACME}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
};

type Json = Record<string, unknown> & {
  error?: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
};
const json = async (res: Response): Promise<Json> => (await res.json()) as Json;
const rows = (value: unknown) => value as Array<Record<string, unknown>>;

/** One committed turn as the runner records it: map, catalog, transcript (and a subagent's). */
async function turn(
  key: ConversationKey,
  sessionId: SessionId,
  at: number,
  title: string,
  options: { subagent?: boolean } = {},
): Promise<void> {
  await storage.conversations.touch(key, sessionId);
  await storage.sessions.recordTurn(key, sessionId, { at, title, costUsd: 0.25, model: 'claude-sonnet-9' });
  const main = { projectKey: key.tenant, sessionId };
  await storage.transcripts.append(main, [
    { type: 'user', uuid: `u-${at}`, message: { role: 'user', content: title } },
    { type: 'assistant', uuid: `a-${at}`, message: { role: 'assistant', content: 'answer' } },
  ]);
  if (options.subagent)
    await storage.transcripts.append({ ...main, subpath: 'subagents/agent-abc' }, [
      { type: 'user', uuid: 's1' },
    ]);
}

/** ops/main: S1 (two turns, then /new) and S2 (current); ops/night: S3; acme OLD expired; beta's own. */
async function seed(): Promise<void> {
  await turn(OPS, OLD, START - 30 * DAY, 'an old question');
  await storage.conversations.remove(OPS);
  await turn(OPS, S1, START - 3 * HOUR, 'why is the bill up?', { subagent: true });
  await turn(OPS, S1, START - 2 * HOUR, 'and in eu-west-1?');
  await storage.conversations.remove(OPS);
  await turn(OPS, S2, START - HOUR, 'restart the canary');
  await turn(OTHER, S3, START - 30 * 60_000, 'night shift');
  await turn(BETA_OPS, BETA_SESSION, START - 10 * 60_000, 'beta secret question');
}

const currentOf = async (key: ConversationKey) => (await storage.conversations.get(key))?.sessionId;

describe('GET /v1/conversations/:tenant/:chat/:thread/sessions', () => {
  it("lists the conversation's sessions newest first with current, history and the catalog fields", async () => {
    await seed();
    const res = await call('GET', 'acme/ops/main/sessions');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ tenant: 'acme', chat: 'ops', thread: 'main', current_session_id: S2 });
    const sessions = rows(body.sessions);
    expect(sessions.map((s) => [s.session_id, s.current, s.history])).toEqual([
      [S2, true, 'available'],
      [S1, false, 'available'],
      [OLD, false, 'expired'],
    ]);
    expect(sessions[1]).toEqual({
      session_id: S1,
      tenant: 'acme',
      chat: 'ops',
      thread: 'main',
      title: 'why is the bill up?',
      turns: 2,
      cost_usd: 0.5,
      model: 'claude-sonnet-9',
      origin: 'turn',
      created_at: new Date(START - 3 * HOUR).toISOString(),
      updated_at: new Date(START - 2 * HOUR).toISOString(),
      history_until: new Date(START - 2 * HOUR + 25 * DAY).toISOString(),
      current: false,
      history: 'available',
    });

    const limited = rows((await json(await call('GET', 'acme/ops/main/sessions?limit=1'))).sessions);
    expect(limited.map((s) => s.session_id)).toEqual([S2]);
    const empty = await json(await call('GET', 'acme/ops/quiet/sessions'));
    expect(empty).toMatchObject({ current_session_id: null, sessions: [] });
  });

  it('says missing when the history was lost, and refuses bad limits, hostile ids and other tenants', async () => {
    await seed();
    await storage.transcripts.delete({ projectKey: 'acme', sessionId: S1 });
    const sessions = rows((await json(await call('GET', 'acme/ops/main/sessions'))).sessions);
    expect(sessions.find((s) => s.session_id === S1)?.history).toBe('missing');

    for (const limit of ['0', '-1', '1e3', 'abc', '1001', '']) {
      const res = await call('GET', `acme/ops/main/sessions?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect((await json(res)).error?.issues).toEqual([
        { path: 'limit', message: 'must be an integer from 1 to 1000' },
      ]);
    }
    for (const path of ['ACME/ops/main', 'acme/..%2F..%2Fetc/main', 'acme/ops/a.b', 'acme/ops/%00']) {
      const res = await call('GET', `${path}/sessions`);
      expect(res.status, path).toBe(400);
      expect((await json(res)).error?.code).toBe('invalid_id');
    }
    const foreign = await call('GET', 'beta/ops/main/sessions');
    expect(foreign.status).toBe(403);
  });
});

describe('POST /v1/conversations/:tenant/:chat/:thread/sessions/:session/switch', () => {
  it('continues an earlier session: the map points at it with its turns; repeating changes nothing', async () => {
    await seed();
    const res = await call('POST', `acme/ops/main/sessions/${S1}/switch`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ unchanged: false, cancelled_approval: null });
    expect(body.session).toMatchObject({ session_id: S1, current: true, history: 'available', turns: 2 });
    expect(await storage.conversations.get(OPS)).toMatchObject({ sessionId: S1, turns: 2 });

    const conversation = await json(await call('GET', 'acme/ops/main'));
    expect(conversation.conversation).toMatchObject({ session_id: S1, turns: 2 });
    const listed = rows((await json(await call('GET', 'acme/ops/main/sessions'))).sessions);
    expect(listed.filter((s) => s.current).map((s) => s.session_id)).toEqual([S1]);

    const again = await call('POST', `acme/ops/main/sessions/${S1}/switch`, { body: {} });
    expect(again.status).toBe(200);
    expect((await json(again)).unchanged).toBe(true);
  });

  it('cancels the approval request the session it leaves waited on, recording who switched', async () => {
    await seed();
    const id = newApprovalId();
    await storage.approvals.create({
      id,
      key: OPS,
      sessionId: S2,
      toolUseId: 'toolu_1',
      tool: 'Bash',
      input: '{"command":"reboot"}',
      summary: 'reboot',
      grantRule: 'Bash(reboot)',
      createdAt: START - 60_000,
      expiresAt: START + HOUR,
      status: 'pending',
    });
    await storage.conversations.touch(OPS, S2, { pendingApproval: id });
    const res = await call('POST', `acme/ops/main/sessions/${S1}/switch`);
    expect(await json(res)).toMatchObject({ unchanged: false, cancelled_approval: id });
    expect(await storage.approvals.get(OPS.tenant, id)).toMatchObject({
      status: 'cancelled',
      resolvedBy: 'token:acme-ops',
    });
    expect((await storage.conversations.get(OPS))?.pendingApproval).toBeUndefined();
  });

  it('refuses, changing nothing: another conversation, another tenant, unknown, expired, deleted, busy, bad input', async () => {
    await seed();
    const refused = async (
      session: string,
      status: number,
      code: string,
      init: { body?: unknown; raw?: string } = {},
    ) => {
      const res = await call('POST', `acme/ops/main/sessions/${session}/switch`, init);
      expect(res.status, `${session} ${code}`).toBe(status);
      const body = await json(res);
      expect(body.error?.code).toBe(code);
      expect(await currentOf(OPS)).toBe(S2);
      return body;
    };
    const elsewhere = await refused(S3, 404, 'session_not_found');
    expect(elsewhere.error?.message).toContain('another conversation');
    const foreign = await refused(BETA_SESSION, 404, 'session_not_found');
    expect(foreign.error?.message).not.toContain('beta secret');
    expect(foreign.error?.message).not.toContain('another conversation');
    await refused('66666666-6666-4666-8666-666666666666', 404, 'session_not_found');
    await refused(OLD, 410, 'session_expired');
    await refused('not-a-uuid', 400, 'invalid_id');
    await refused('ABCDEF01-2345-4678-89AB-CDEF01234567', 400, 'invalid_id');
    const field = await refused(S1, 400, 'invalid_request', { body: { session_id: S1 } });
    expect(field.error?.issues).toEqual([{ path: 'session_id', message: 'unknown field' }]);
    await refused(S1, 400, 'malformed_json', { raw: '{"oops"' });
    await refused(S1, 400, 'invalid_request', { body: [S1] });

    const lease = await storage.leases.acquire(OPS, { ttlMs: 60_000 });
    await refused(S1, 409, 'conversation_busy');
    await storage.leases.release(lease);

    await storage.transcripts.delete({ projectKey: 'acme', sessionId: S1 });
    await refused(S1, 410, 'session_history_missing');

    const forbidden = await call('POST', `beta/ops/main/sessions/${BETA_SESSION}/switch`);
    expect(forbidden.status).toBe(403);
    expect(await currentOf(BETA_OPS)).toBe(BETA_SESSION);
  });
});

describe('POST /v1/conversations/:tenant/:chat/:thread/sessions/new', () => {
  it("asks the runner to start the conversation's next turn in a new session", async () => {
    const res = await call('POST', 'acme/ops/main/sessions/new');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ new_session: true, cancelled_approval: null });
    expect(runner.resets).toEqual([OPS]);
  });

  it('refuses fields, other tenants and hostile ids without resetting anything', async () => {
    const field = await call('POST', 'acme/ops/main/sessions/new', { body: { keep: true } });
    expect(field.status).toBe(400);
    expect((await json(field)).error?.issues).toEqual([{ path: 'keep', message: 'unknown field' }]);
    expect((await call('POST', 'beta/ops/main/sessions/new')).status).toBe(403);
    expect((await call('POST', 'acme/o%2Fps/main/sessions/new')).status).toBe(400);
    expect(runner.resets).toEqual([]);
  });
});

describe('GET /v1/conversations/:tenant/sessions', () => {
  it("lists the tenant's sessions for operators, narrowed by chat and thread, never another tenant's", async () => {
    await seed();
    const res = await call('GET', 'acme/sessions');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.tenant).toBe('acme');
    const sessions = rows(body.sessions);
    expect(sessions.map((s) => [s.session_id, s.thread, s.history])).toEqual([
      [S3, 'night', 'available'],
      [S2, 'main', 'available'],
      [S1, 'main', 'available'],
      [OLD, 'main', 'expired'],
    ]);
    // This listing does not read the maps: it does not claim which session is current.
    expect(sessions.every((s) => !('current' in s))).toBe(true);

    const night = rows((await json(await call('GET', 'acme/sessions?chat=ops&thread=night'))).sessions);
    expect(night.map((s) => s.session_id)).toEqual([S3]);
    const chat = rows((await json(await call('GET', 'acme/sessions?chat=ops&limit=2'))).sessions);
    expect(chat.map((s) => s.session_id)).toEqual([S3, S2]);
    const none = rows((await json(await call('GET', 'acme/sessions?chat=elsewhere'))).sessions);
    expect(none).toEqual([]);
    const beta = rows((await json(await call('GET', 'beta/sessions', { token: BETA }))).sessions);
    expect(beta.map((s) => s.session_id)).toEqual([BETA_SESSION]);
  });

  it('refuses a thread without a chat, empty or hostile filters, bad limits and other tenants', async () => {
    const bad = async (query: string, status: number, code: string, path?: string) => {
      const res = await call('GET', `acme/sessions${query}`);
      expect(res.status, query).toBe(status);
      const body = await json(res);
      expect(body.error?.code, query).toBe(code);
      if (path) expect(body.error?.issues?.[0]?.path).toBe(path);
    };
    await bad('?thread=main', 400, 'invalid_request', 'thread');
    await bad('?chat=', 400, 'invalid_request', 'chat');
    await bad('?chat=ops&thread=', 400, 'invalid_request', 'thread');
    await bad('?chat=..%2Fx', 400, 'invalid_id', 'chat');
    await bad('?chat=ops&thread=a%3Ab', 400, 'invalid_id', 'thread');
    await bad('?limit=0', 400, 'invalid_request', 'limit');
    expect((await call('GET', 'beta/sessions')).status).toBe(403);
    expect((await call('GET', 'Beta/sessions')).status).toBe(400);
  });
});

describe('GET /v1/conversations/:tenant/sessions/:session', () => {
  it('shows one session with current, history, transcript size and subagent streams', async () => {
    await seed();
    const res = await call('GET', `acme/sessions/${S1}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.session).toMatchObject({ session_id: S1, current: false, history: 'available', turns: 2 });
    expect(body.transcript).toMatchObject({ entries: 4 });
    expect((body.transcript as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(rows(body.subagents)).toEqual([
      expect.objectContaining({ subpath: 'subagents/agent-abc', entries: 1 }),
    ]);
    const current = await json(await call('GET', `acme/sessions/${S2}`));
    expect(current.session).toMatchObject({ current: true });
    const expired = await json(await call('GET', `acme/sessions/${OLD}`));
    expect(expired.session).toMatchObject({ history: 'expired' });
  });

  it("answers 404 for another tenant's session id (never its data) and unknown ids", async () => {
    await seed();
    const foreign = await call('GET', `acme/sessions/${BETA_SESSION}`);
    expect(foreign.status).toBe(404);
    const text = await foreign.text();
    expect(text).toContain('session_not_found');
    expect(text).not.toContain('beta secret');
    expect((await call('GET', `beta/sessions/${S1}`, { token: BETA })).status).toBe(404);
    expect((await call('GET', `beta/sessions/${BETA_SESSION}`)).status).toBe(403);
  });

  it("does not shadow a conversation whose chat is named 'sessions'", async () => {
    const key = conversationKey({ tenant: 'acme', chat: 'sessions', thread: 'main' });
    await turn(key, S1, START - HOUR, 'a chat called sessions');
    const conversation = await call('GET', 'acme/sessions/main');
    expect(conversation.status).toBe(200);
    expect((await json(conversation)).conversation).toMatchObject({ chat: 'sessions', session_id: S1 });
    const detail = await call('GET', `acme/sessions/${S1}`);
    expect((await json(detail)).session).toMatchObject({ chat: 'sessions', thread: 'main' });
    const deleted = await call('DELETE', 'acme/sessions/main');
    expect(deleted.status).toBe(200);
    expect(await storage.conversations.get(key)).toBeNull();
  });
});

describe('GET /v1/conversations/:tenant/sessions/:session/export', () => {
  it('exports JSONL (default) and Markdown as attachments', async () => {
    await seed();
    const jsonl = await call('GET', `acme/sessions/${S1}/export`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(jsonl.headers.get('content-disposition')).toBe(`attachment; filename="${S1}.jsonl"`);
    const lines = (await jsonl.text()).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ type: 'user' });

    const md = await call('GET', `acme/sessions/${S1}/export?format=md`);
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toBe(`attachment; filename="${S1}.md"`);
    // The renderer is `conversations/markdown.ts`'s (tested there); here: this session's export.
    expect(await md.text()).toContain(S1);
  });

  it('refuses an unknown format naming the field, and never exports another tenant or a lost history', async () => {
    await seed();
    const pdf = await call('GET', `acme/sessions/${S1}/export?format=pdf`);
    expect(pdf.status).toBe(400);
    expect((await json(pdf)).error?.issues).toEqual([
      { path: 'format', message: 'must be one of: jsonl, md' },
    ]);
    const foreign = await call('GET', `acme/sessions/${BETA_SESSION}/export`);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).not.toContain('beta secret');
    expect((await call('GET', 'acme/sessions/..%2F..%2Fbeta/export')).status).toBe(400);
    await storage.transcripts.delete({ projectKey: 'acme', sessionId: S1 });
    const lost = await call('GET', `acme/sessions/${S1}/export?format=md`);
    expect(lost.status).toBe(410);
    expect((await json(lost)).error?.code).toBe('session_history_missing');
  });
});

describe('DELETE /v1/conversations/:tenant/sessions/:session', () => {
  it('deletes an earlier session: transcripts and catalog entry; the conversation stays on its current one', async () => {
    await seed();
    const res = await call('DELETE', `acme/sessions/${S1}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      deleted: true,
      was_current: false,
      subagents_deleted: ['subagents/agent-abc'],
      cancelled_approval: null,
    });
    expect(body.session).toMatchObject({ session_id: S1, turns: 2 });
    expect(await storage.transcripts.load({ projectKey: 'acme', sessionId: S1 })).toBeNull();
    expect(await storage.sessions.get(OPS.tenant, S1)).toBeNull();
    expect(await currentOf(OPS)).toBe(S2);
    expect((await call('GET', `acme/sessions/${S1}`)).status).toBe(404);
    expect((await call('DELETE', `acme/sessions/${S1}`)).status).toBe(404);
    expect((await call('POST', `acme/ops/main/sessions/${S1}/switch`)).status).toBe(404);
  });

  it('deleting the current session starts the conversation afresh, keeping its settings', async () => {
    await seed();
    expect((await call('PATCH', 'acme/ops/main/settings', { body: { model: 'fast' } })).status).toBe(200);
    const res = await call('DELETE', `acme/sessions/${S2}`);
    expect((await json(res)).was_current).toBe(true);
    const record = await storage.conversations.get(OPS);
    expect(record).toMatchObject({ turns: 0, model: 'fast' });
    expect(record?.sessionId).not.toBe(S2);
  });

  it("refuses another tenant's session, hostile ids and a busy conversation, deleting nothing", async () => {
    await seed();
    expect((await call('DELETE', `acme/sessions/${BETA_SESSION}`)).status).toBe(404);
    expect((await call('DELETE', `beta/sessions/${BETA_SESSION}`)).status).toBe(403);
    expect(await storage.sessions.get(BETA_OPS.tenant, BETA_SESSION)).not.toBeNull();
    const lease = await storage.leases.acquire(OPS, { ttlMs: 60_000 });
    const busy = await call('DELETE', `acme/sessions/${S1}`);
    expect(busy.status).toBe(409);
    expect((await json(busy)).error?.code).toBe('conversation_busy');
    await storage.leases.release(lease);
    expect(await storage.transcripts.load({ projectKey: 'acme', sessionId: S1 })).not.toBeNull();
    expect(await storage.sessions.get(OPS.tenant, S1)).not.toBeNull();
  });
});

describe('GET|PATCH /v1/conversations/:tenant/:chat/:thread/settings', () => {
  it('shows the defaults and the choices, sets, leaves and clears model and agent', async () => {
    await seed();
    const initial = await call('GET', 'acme/ops/main/settings');
    expect(initial.status).toBe(200);
    expect(await json(initial)).toEqual({
      model: null,
      model_id: null,
      agent: null,
      stale: [],
      choices: {
        models: { fast: 'claude-haiku-9', deep: 'claude-opus-9' },
        default_model: 'claude-sonnet-9',
        agents: ['aws-support'],
      },
    });

    const set = await call('PATCH', 'acme/ops/main/settings', {
      body: { model: 'deep', agent: 'aws-support' },
    });
    expect(set.status).toBe(200);
    expect(await json(set)).toMatchObject({ model: 'deep', model_id: 'claude-opus-9', agent: 'aws-support' });
    const conversation = await json(await call('GET', 'acme/ops/main'));
    expect(conversation.conversation).toMatchObject({ session_id: S2, model: 'deep', agent: 'aws-support' });

    const left = await json(await call('PATCH', 'acme/ops/main/settings', { body: { model: null } }));
    expect(left).toMatchObject({ model: null, model_id: null, agent: 'aws-support' });
    const cleared = await json(await call('PATCH', 'acme/ops/main/settings', { body: { agent: null } }));
    expect(cleared).toMatchObject({ model: null, agent: null });
    expect(await storage.conversations.get(OPS)).toMatchObject({ sessionId: S2, turns: 1 });
  });

  it('a new conversation gets a chosen-but-not-started session; an empty change writes nothing', async () => {
    const nothing = await call('PATCH', 'acme/fresh/main/settings', { body: {} });
    expect(nothing.status).toBe(200);
    expect(await storage.conversations.get(conversationKey({ tenant: 'acme', chat: 'fresh' }))).toBeNull();
    const set = await call('PATCH', 'acme/fresh/main/settings', { body: { model: 'fast' } });
    expect(set.status).toBe(200);
    const record = await storage.conversations.get(conversationKey({ tenant: 'acme', chat: 'fresh' }));
    expect(record).toMatchObject({ turns: 0, model: 'fast' });
  });

  it('refuses unknown choices with the choices, wrong types, unknown fields, bad JSON and huge bodies, changing nothing', async () => {
    await seed();
    await call('PATCH', 'acme/ops/main/settings', { body: { model: 'fast' } });
    const refused = async (init: { body?: unknown; raw?: string }, status: number, code: string) => {
      const res = await call('PATCH', 'acme/ops/main/settings', init);
      expect(res.status, JSON.stringify(init).slice(0, 80)).toBe(status);
      const body = await json(res);
      expect(body.error?.code).toBe(code);
      expect(await storage.conversations.get(OPS)).toMatchObject({ model: 'fast', sessionId: S2 });
      expect((await storage.conversations.get(OPS))?.agent).toBeUndefined();
      return body.error;
    };
    const model = await refused({ body: { model: 'gpt-5', agent: 'aws-support' } }, 400, 'unknown_model');
    expect(model?.message).toContain('fast, deep');
    expect(model?.issues?.[0]?.path).toBe('model');
    const agent = await refused({ body: { agent: 'nobody' } }, 400, 'unknown_agent');
    expect(agent?.message).toContain('aws-support');
    expect(agent?.issues?.[0]?.path).toBe('agent');
    const typed = await refused({ body: { model: 42, agent: true } }, 400, 'invalid_request');
    expect(typed?.issues?.map((i) => i.path)).toEqual(['model', 'agent']);
    expect(typed?.message).toBe('invalid request body: model, agent');
    const empty = await refused({ body: { model: '' } }, 400, 'invalid_request');
    expect(empty?.issues?.[0]).toEqual({ path: 'model', message: 'must not be empty; null clears it' });
    const extra = await refused({ body: { model: 'deep', temperature: 1 } }, 400, 'invalid_request');
    expect(extra?.issues).toEqual([{ path: 'temperature', message: 'unknown field' }]);
    await refused({ raw: '{"model":' }, 400, 'malformed_json');
    await refused({ raw: '' }, 400, 'malformed_json');
    await refused({ body: ['deep'] }, 400, 'invalid_request');
    await refused({ body: { model: 'x'.repeat(201) } }, 400, 'invalid_request');
    await refused({ raw: JSON.stringify({ model: 'y'.repeat(300 * 1024) }) }, 413, 'payload_too_large');
    const lease = await storage.leases.acquire(OPS, { ttlMs: 60_000 });
    await refused({ body: { model: 'deep' } }, 409, 'conversation_busy');
    await storage.leases.release(lease);
    expect((await call('PATCH', 'beta/ops/main/settings', { body: { model: 'fast' } })).status).toBe(403);
    expect((await call('GET', 'acme/ops/a%2Fb/settings')).status).toBe(400);
  });

  it('shows a setting the tenant no longer has as stale', async () => {
    await storage.conversations.configure(OPS, { model: 'retired', agent: 'gone' }, S1);
    const body = await json(await call('GET', 'acme/ops/main/settings'));
    expect(body).toMatchObject({
      model: 'retired',
      model_id: null,
      agent: 'gone',
      stale: ['model', 'agent'],
    });
  });
});

describe('DELETE /v1/conversations/:tenant/:chat/:thread', () => {
  it("removes the current session's catalog entry with its history; earlier sessions stay listed", async () => {
    await seed();
    const res = await call('DELETE', 'acme/ops/main');
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ deleted: true, session_id: S2 });
    expect(await storage.sessions.get(OPS.tenant, S2)).toBeNull();
    const listed = rows((await json(await call('GET', 'acme/ops/main/sessions'))).sessions);
    expect(listed.map((s) => s.session_id)).toEqual([S1, OLD]);
    expect(await storage.sessions.get(OTHER.tenant, S3)).not.toBeNull();
  });
});

describe('without a conversation service', () => {
  it('the session routes are not served (404 not_found), the conversation routes still are', async () => {
    await seed();
    const bare = createApiApp({
      runner: createFakeRunner(),
      storage,
      logger: silentLogger,
      auth: createTokenAuth([{ token: ACME, tenants: ['acme' as TenantId] }]),
    });
    const headers = { authorization: `Bearer ${ACME}` };
    expect((await bare.request('/v1/conversations/acme/ops/main/sessions', { headers })).status).toBe(404);
    expect((await bare.request('/v1/conversations/acme/ops/main', { headers })).status).toBe(200);
  });
});
