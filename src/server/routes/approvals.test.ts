import { beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner, type FakeRunner } from '../../../test/deploy/fake-runner.js';
import { newApprovalId } from '../../approvals/ids.js';
import type { ApprovalRecord, ApprovalResolution, PendingApproval } from '../../approvals/types.js';
import type { TurnResult } from '../../agent/types.js';
import { parseRequestId, parseSessionId, type TenantId } from '../../core/ids.js';
import { conversationKey } from '../../core/keys.js';
import { createLogger } from '../../core/logger.js';
import { createMemoryStorage, type MemoryStorage } from '../../sessions/adapters/memory/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth, type TenantScope } from '../auth.js';

const ACME = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const MULTI = 'Zq8w-Ty3u-Pl0k-Mn5b-Vc2x-Za7s-Df4g-Hj9k';
const ALL = 'Rt6y-Ui1o-Pa2s-Df3g-Hj4k-Lz5x-Cv6b-Nm7q';
const SESSION = parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab');
const KEY = conversationKey({ tenant: 'acme', chat: '42', thread: '7' });
const T0 = Date.parse('2026-12-01T21:00:00Z');

let storage: MemoryStorage;
let runner: FakeRunner;

beforeEach(() => {
  storage = createMemoryStorage();
  runner = createFakeRunner((req) =>
    req.approval
      ? {
          response: `ran after ${req.approval.decision}`,
          resolved_approval: { id: req.approval.id, status: req.approval.decision, by: req.approval.by },
        }
      : {},
  );
});

const scopes: Array<{ token: string; tenants: TenantScope; label: string }> = [
  { token: ACME, tenants: ['acme' as TenantId], label: 'acme' },
  { token: MULTI, tenants: ['acme' as TenantId, 'beta' as TenantId], label: 'multi' },
  { token: ALL, tenants: 'all', label: 'ops' },
];
const app = (options: { maxBodyBytes?: number } = {}) =>
  createApiApp({
    runner,
    storage,
    logger: createLogger({ level: 'error', write: () => {} }),
    auth: createTokenAuth(scopes),
    ...options,
  });

const post = (id: string, body: unknown, options: { token?: string; accept?: string } = {}) =>
  app().request(`/v1/approvals/${id}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? ACME}`,
      'content-type': 'application/json',
      ...(options.accept ? { accept: options.accept } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function seed(overrides: Partial<ApprovalRecord> = {}): Promise<ApprovalRecord> {
  const record: ApprovalRecord = {
    id: newApprovalId(),
    key: KEY,
    sessionId: SESSION,
    toolUseId: 'toolu_01',
    tool: 'Bash',
    input: '{"command":"aws ec2 reboot-instances --instance-ids i-1"}',
    summary: 'aws ec2 reboot-instances --instance-ids i-1',
    grantRule: 'Bash(aws ec2 reboot-instances *)',
    requestedBy: 'token:acme',
    createdAt: T0,
    expiresAt: T0 + 30 * 60_000,
    status: 'pending',
    ...overrides,
  };
  await storage.approvals.create(record);
  return record;
}

/** Resolves a stored request through the store, as the runner does. */
async function settle(
  record: ApprovalRecord,
  resolution: { status: ApprovalResolution; at: number; by?: string; requestId?: string },
): Promise<void> {
  const { requestId, ...rest } = resolution;
  const outcome = await storage.approvals.resolve(record.key.tenant, record.id, {
    ...rest,
    ...(requestId ? { requestId: parseRequestId(requestId) } : {}),
  });
  expect(outcome.ok).toBe(true);
}

type ErrorBody = {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
};
const paths = async (res: Response): Promise<string[]> =>
  ((await res.json()) as ErrorBody).error.issues?.map((i) => i.path) ?? [];

describe('POST /v1/approvals/:id', () => {
  it('continues the conversation through the runner with the decision, the caller and a per-decision request id', async () => {
    const record = await seed();
    const res = await post(record.id, { decision: 'allow_once' });
    expect(res.status).toBe(200);
    const result = (await res.json()) as TurnResult;
    expect(result.response).toBe('ran after allow_once');
    expect(result.resolved_approval).toEqual({ id: record.id, status: 'allow_once', by: 'token:acme' });
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toMatchObject({
      key: KEY,
      text: '',
      approval: { id: record.id, decision: 'allow_once', by: 'token:acme' },
      requestId: `api:approval:${record.id}:allow_once`,
    });
  });

  it("the runner's approval_unavailable is 409 with its message", async () => {
    const record = await seed();
    runner = createFakeRunner(() => ({
      is_error: true,
      error_code: 'approval_unavailable',
      error_message: 'approval request expired at 2026-12-01T21:30:00.000Z',
    }));
    const res = await post(record.id, { decision: 'deny' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: {
        code: 'approval_unavailable',
        message: 'approval request expired at 2026-12-01T21:30:00.000Z',
      },
    });
  });

  it('a request settled otherwise is 409 without running anything; a retry of the decision that settled it replays', async () => {
    const decided = await seed();
    await settle(decided, { status: 'allow_once', at: T0 + 60_000, by: '1234', requestId: 'tg:99' });
    const res = await post(decided.id, { decision: 'deny' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).error).toEqual({
      code: 'approval_unavailable',
      message: 'approval request was already decided: allow_once by 1234 at 2026-12-01T21:01:00.000Z',
    });
    const cancelled = await seed();
    await settle(cancelled, { status: 'cancelled', at: T0 });
    expect((await post(cancelled.id, { decision: 'allow_once' })).status).toBe(409);
    expect(runner.calls).toHaveLength(0);

    // Resolved by this route's request id for that decision (an earlier call): the runner replays it.
    const retry = await seed();
    await settle(retry, {
      status: 'allow_once',
      at: T0,
      by: 'token:acme',
      requestId: `api:approval:${retry.id}:allow_once`,
    });
    expect((await post(retry.id, { decision: 'allow_once' })).status).toBe(200);
    expect(runner.calls).toHaveLength(1);
    expect((await post(retry.id, { decision: 'deny' })).status).toBe(409);
  });

  it('unknown id → 404; a request of another tenant is not found either', async () => {
    expect((await post(newApprovalId(), { decision: 'deny' })).status).toBe(404);
    const beta = await seed({ key: conversationKey({ tenant: 'beta', chat: '1' }) });
    const res = await post(beta.id, { decision: 'deny' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe('approval_not_found');
    expect((await post(beta.id, { decision: 'deny', tenant: 'beta' }, { token: MULTI })).status).toBe(200);
  });

  it('tenant: the body, else the token’s only tenant; several or all tenants need it (400); outside the scope → 403', async () => {
    const record = await seed();
    const multi = await post(record.id, { decision: 'deny' }, { token: MULTI });
    expect(multi.status).toBe(400);
    expect(await paths(multi)).toEqual(['tenant']);
    const all = await post(record.id, { decision: 'deny' }, { token: ALL });
    expect(all.status).toBe(400);
    expect(await paths(all)).toEqual(['tenant']);
    const outside = await post(record.id, { decision: 'deny', tenant: 'beta' });
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as ErrorBody).error.code).toBe('forbidden');
    expect(runner.calls).toHaveLength(0);
    expect((await post(record.id, { decision: 'deny', tenant: 'acme' }, { token: ALL })).status).toBe(200);
    expect(runner.calls[0]?.approval?.by).toBe('token:ops');
  });

  it('refuses bad ids and bodies with 400s naming the field, and huge bodies with 413', async () => {
    const record = await seed();
    const bad = await post('not-an-id', { decision: 'deny' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error).toMatchObject({
      code: 'invalid_id',
      issues: [{ path: 'id', message: expect.stringContaining('approval id') }],
    });
    const malformed = await post(record.id, '{"decision": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorBody).error.code).toBe('malformed_json');
    expect((await post(record.id, '')).status).toBe(400);
    expect(await paths(await post(record.id, { decision: 'maybe' }))).toEqual(['decision']);
    expect(await paths(await post(record.id, { decision: 1 }))).toEqual(['decision']);
    expect(await paths(await post(record.id, {}))).toEqual(['decision']);
    expect(await paths(await post(record.id, ['deny']))).toEqual(['(body)']);
    expect(await paths(await post(record.id, { decision: 'deny', tenant: 'ACME!' }))).toEqual(['tenant']);
    expect(await paths(await post(record.id, { decision: 'deny', tenant: 7 }))).toEqual(['tenant']);
    expect(await paths(await post(record.id, { decision: 'deny', user_message: 'x', by: 'me' }))).toEqual([
      'user_message',
      'by',
    ]);
    const huge = await app({ maxBodyBytes: 1024 }).request(`/v1/approvals/${record.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'deny', tenant: 'x'.repeat(2000) }),
    });
    expect(huge.status).toBe(413);
    expect(runner.calls).toHaveLength(0);
  });

  it('streams like /v1/chat when asked; approval_unavailable after the stream began is its error event', async () => {
    const record = await seed();
    const streamed = await post(record.id, { decision: 'allow_once' }, { accept: 'text/event-stream' });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const text = await streamed.text();
    expect(text).toContain('event: result');
    expect(text).toContain('"response":"ran after allow_once"');

    runner = createFakeRunner(() => ({
      is_error: true,
      error_code: 'approval_unavailable',
      error_message: 'approval request expired',
    }));
    const late = await post(record.id, { decision: 'deny', stream: true });
    expect(late.status).toBe(200);
    expect(await late.text()).toContain(
      'event: error\ndata: {"error":{"code":"approval_unavailable","message":"approval request expired"}}',
    );
  });
});

describe('GET /v1/conversations/:tenant/:chat/:thread/approvals', () => {
  const list = (path: string, token = ACME) =>
    app().request(`/v1/conversations/${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('lists the audit trail newest first with ISO times; ?limit= 1..200', async () => {
    const older = await seed({ createdAt: T0 });
    await settle(older, { status: 'deny', at: T0 + 5_000, by: 'token:acme' });
    const newer = await seed({ createdAt: T0 + 60_000, expiresAt: T0 + 61 * 60_000, requestedBy: undefined });
    await seed({ key: conversationKey({ tenant: 'acme', chat: '42', thread: '8' }) });
    const res = await list('acme/42/7/approvals');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      approvals: [
        {
          id: newer.id,
          tool: 'Bash',
          summary: 'aws ec2 reboot-instances --instance-ids i-1',
          grant_rule: 'Bash(aws ec2 reboot-instances *)',
          status: 'pending',
          requested_by: null,
          created_at: '2026-12-01T21:01:00.000Z',
          expires_at: '2026-12-01T22:01:00.000Z',
          resolved_at: null,
          resolved_by: null,
        },
        expect.objectContaining({
          id: older.id,
          status: 'deny',
          requested_by: 'token:acme',
          resolved_at: '2026-12-01T21:00:05.000Z',
          resolved_by: 'token:acme',
        }),
      ],
    });
    const one = (await (await list('acme/42/7/approvals?limit=1')).json()) as { approvals: unknown[] };
    expect(one.approvals).toHaveLength(1);
    for (const limit of ['0', '201', 'abc', '1.5', '-1']) {
      const bad = await list(`acme/42/7/approvals?limit=${limit}`);
      expect(bad.status).toBe(400);
      expect(await paths(bad)).toEqual(['limit']);
    }
    expect(await (await list('acme/nobody/main/approvals')).json()).toEqual({ approvals: [] });
  });

  it('same scoping as the other conversation routes: 403 outside the scope, 400 for hostile ids', async () => {
    expect((await list('beta/42/7/approvals')).status).toBe(403);
    expect((await list('beta/42/7/approvals', MULTI)).status).toBe(200);
    expect((await list('ACME!/42/7/approvals')).status).toBe(400);
  });
});

describe('POST /v1/chat with a turn that waits for an approval', () => {
  const pending: PendingApproval = {
    id: newApprovalId(),
    tool: 'Bash',
    input: { command: 'echo hi > FILE' },
    summary: 'echo hi > FILE',
    grant_rule: 'Bash(echo *)',
    expires_at: '2026-12-01T21:30:00.000Z',
  };
  const chat = (headers: Record<string, string> = {}) =>
    app().request('/v1/chat', {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ user_message: 'write the file', chat_id: 42, thread_id: 7, tenant: 'acme' }),
    });

  it('passes pending_approval through unchanged, as JSON and in the streamed result', async () => {
    runner = createFakeRunner(() => ({ response: 'I need your approval.', pending_approval: pending }));
    const res = await chat();
    expect(res.status).toBe(200);
    expect(((await res.json()) as TurnResult).pending_approval).toEqual(pending);
    const streamed = await (await chat({ accept: 'text/event-stream' })).text();
    const data = /event: result\ndata: (.*)\n/.exec(streamed)?.[1];
    expect((JSON.parse(data ?? '{}') as TurnResult).pending_approval).toEqual(pending);
  });
});
