import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { createApiApp, createTokenAuth } from '../../src/server/index.js';
import { CHAT_REQUEST, MAX_ATTACHMENTS } from '../../src/server/routes/chat-request.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Issue 18: what `POST /v1/chat` accepts at the bounds of its schema, through the real runner, the
 * real `claude` binary and the offline model — a bounded sample of 12 bodies, each at one or more
 * bounds (the hostile suite sends 1000 cases per form through the same route with a stand-in
 * runner, test/hostile/bounds-api.test.ts). Each must be accepted and answered without `is_error`.
 */
const TOKEN = 'e2e-chat-bounds-token-5b7d9f1a3c5e7a9b1d3f5a7c';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
).toString('base64');

let h: AgentHarness;
let api: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  h = await startAgentHarness();
  api = createApiApp({
    runner: h.runner,
    storage: h.storage,
    logger: silentLogger,
    auth: createTokenAuth([{ token: TOKEN, tenants: 'all', label: 'e2e' }]),
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const file = (i: number) => ({
  name: `report-${i}.txt`,
  data: Buffer.from(`line ${i}\n`).toString('base64'),
});

/** Each body at a bound of `CHAT_REQUEST` (every one is checked to be accepted by it first). */
const AT_BOUNDS: Array<[string, Record<string, unknown>]> = [
  ['user_message at 100,000 characters', { user_message: 'm'.repeat(100_000), chat_id: 'b-long' }],
  [
    'message_time 0 (epoch seconds, the smallest)',
    { user_message: 'time?', chat_id: 'b-t0', message_time: 0 },
  ],
  [
    'message_time 999,999,999,999 (the largest epoch seconds)',
    { user_message: 'time?', chat_id: 'b-t1', message_time: 999_999_999_999 },
  ],
  [
    'message_time 8.64e15 (epoch ms, the largest date)',
    { user_message: 'time?', chat_id: 'b-t2', message_time: 8.64e15 },
  ],
  [
    'message_time "0000-01-01T00:00:00Z" (the smallest ISO date-time)',
    { user_message: 'time?', chat_id: 'b-t3', message_time: '0000-01-01T00:00:00Z' },
  ],
  [
    'message_time "9999-12-31T23:59:59.999999999-23:59" (the largest ISO date-time, past year 9999 in UTC)',
    { user_message: 'time?', chat_id: 'b-t4', message_time: '9999-12-31T23:59:59.999999999-23:59' },
  ],
  [
    `${MAX_ATTACHMENTS} attachments, one a PNG`,
    {
      user_message: 'files',
      chat_id: 'b-files',
      attachments: [
        { name: 'shot.png', data: PNG },
        ...Array.from({ length: MAX_ATTACHMENTS - 1 }, (_, i) => file(i)),
      ],
    },
  ],
  [
    'an attachment name at 1024 characters and mime at 255, streamed',
    {
      user_message: 'named',
      chat_id: 'b-name',
      stream: true,
      attachments: [{ name: `${'n'.repeat(1020)}.txt`, data: file(0).data, mime: 'x'.repeat(255) }],
    },
  ],
  ['request_id at 100 characters', { user_message: 'once', chat_id: 'b-req', request_id: 'r'.repeat(100) }],
  [
    'tenant at 32, chat at 65 (sign + 64), thread at 64 characters',
    {
      user_message: 'ids',
      tenant: `t${'x'.repeat(30)}t`,
      chat_id: `-${'c'.repeat(64)}`,
      thread_id: 'h'.repeat(64),
    },
  ],
  [
    'chat_id and thread_id at the safe-integer limits',
    { user_message: 'ids', chat_id: Number.MAX_SAFE_INTEGER, thread_id: Number.MIN_SAFE_INTEGER },
  ],
  [
    'model at 200 characters',
    { user_message: 'model', chat_id: 'b-model', model: `claude-${'m'.repeat(193)}` },
  ],
];

/** The turn's result from a plain or streamed (`event: result`) answer. */
function resultOf(text: string): TurnResult {
  const streamed = /event: result\ndata: (.*)\n/.exec(text)?.[1];
  return JSON.parse(streamed ?? text) as TurnResult;
}

describe('POST /v1/chat at the bounds of its schema (real runner, real binary, offline model)', () => {
  it('the sample is 12 bodies, each accepted by CHAT_REQUEST', () => {
    expect(AT_BOUNDS).toHaveLength(12);
    for (const [name, body] of AT_BOUNDS) expect(CHAT_REQUEST.safeParse(body).error, name).toBeUndefined();
  });

  it.each(AT_BOUNDS)(
    '%s: answered without is_error',
    async (_, body) => {
      const res = await api.request('/v1/chat', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBe(200);
      const result = resultOf(text);
      expect(result.error_message).toBeNull();
      expect(result.is_error).toBe(false);
    },
    120_000,
  );
});
