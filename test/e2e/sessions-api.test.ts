import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';
import { createConversationService } from '../../src/conversations/index.js';
import type { TenantId } from '../../src/core/ids.js';
import { silentLogger } from '../../src/core/logger.js';
import { userTexts } from '../../src/model/index.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Conversation management through the API end to end (issue 17): the real runner, SDK binary and
 * offline model, SQLite storage. A conversation's sessions are listed after `…/sessions/new`, the
 * first is switched back to, and the next `POST /v1/chat` resumes it with its whole history; the
 * model chosen with `PATCH …/settings` after it (a new session resets the settings) reaches the model.
 */
const TOKEN = 'e2e-sessions-token-3c5e7a9b1d3f5a7c9e1b3d5f';
const MODELS = { fast: 'claude-haiku-e2e', deep: 'claude-opus-e2e' };

let h: AgentHarness;
let api: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  h = await startAgentHarness();
  api = createApiApp({
    runner: h.runnerWith({ tenantPolicy: () => ({ models: MODELS }) }),
    storage: h.storage,
    logger: silentLogger,
    auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId], label: 'e2e' }]),
    conversations: createConversationService({
      storage: h.storage,
      choices: async () => ({ models: MODELS, defaultModel: undefined, agents: [] }),
      logger: silentLogger,
    }),
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const request = async (method: string, path: string, body?: unknown) => {
  const res = await api.request(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};
const chat = async (text: string): Promise<TurnResult> => {
  const result = (await request('POST', '/v1/chat', {
    user_message: text,
    chat_id: 'ops',
  })) as unknown as TurnResult;
  expect(result.is_error, result.error_message ?? '').toBe(false);
  return result;
};
const BASE = '/v1/conversations/default/ops/main';
type Listed = { session_id: string; current: boolean; history: string; turns: number; title: string };
const listed = async () => (await request('GET', `${BASE}/sessions`)).sessions as Listed[];

describe('sessions through the API (real binary, offline model)', () => {
  it('two turns, a new session, list shows both, switch back: the next chat resumes the first', async () => {
    const one = await chat('first question');
    const two = await chat('second in the first session');
    expect(two.session_id).toBe(one.session_id);
    const first = one.session_id;

    expect(await request('PATCH', `${BASE}/settings`, { model: 'fast' })).toMatchObject({
      model: 'fast',
      model_id: MODELS.fast,
    });
    expect(await request('POST', `${BASE}/sessions/new`)).toEqual({
      new_session: true,
      cancelled_approval: null,
    });
    // A new session starts from the tenant's defaults: settings reset with /new (issue 17).
    expect(await request('GET', `${BASE}/settings`)).toMatchObject({ model: null, agent: null });
    await request('PATCH', `${BASE}/settings`, { model: 'fast' });

    h.model.requests.length = 0;
    const other = await chat('another topic');
    expect(other.session_id).not.toBe(first);
    const fresh = h.model.requests.at(-1);
    expect(fresh?.model).toBe(MODELS.fast);
    expect(userTexts(fresh!)).toEqual(['another topic']);

    const before = await listed();
    expect(before.map((s) => [s.session_id, s.current, s.history, s.turns, s.title])).toEqual([
      [other.session_id, true, 'available', 1, 'another topic'],
      [first, false, 'available', 2, 'first question'],
    ]);

    const switched = await request('POST', `${BASE}/sessions/${first}/switch`);
    expect(switched).toMatchObject({ unchanged: false, session: { session_id: first, current: true } });

    h.model.requests.length = 0;
    const back = await chat('back to the first');
    expect(back.session_id).toBe(first);
    const resumed = h.model.requests.at(-1);
    expect(userTexts(resumed!)).toEqual([
      'first question',
      'second in the first session',
      'back to the first',
    ]);
    expect(resumed?.model).toBe(MODELS.fast);

    const after = await listed();
    expect(after.map((s) => [s.session_id, s.current, s.turns])).toEqual([
      [first, true, 3],
      [other.session_id, false, 1],
    ]);

    const exported = await api.request(`/v1/conversations/default/sessions/${first}/export?format=jsonl`, {
      headers,
    });
    expect(exported.status).toBe(200);
    expect(await exported.text()).toContain('back to the first');
    const detail = await request('GET', `/v1/conversations/default/sessions/${other.session_id}`);
    expect(detail).toMatchObject({ session: { current: false, history: 'available', turns: 1 } });
  }, 120_000);
});
