import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeTurnResult } from '../../../test/support/turn-result.js';
import {
  decodeHttpIntegration,
  functionUrlEvent,
  installAwsLambdaGlobal,
  invokeStreaming,
  RecordingResponseStream,
} from '../../../test/support/lambda-runtime.js';
import type { AgentRunner, TurnEvent } from '../../agent/types.js';
import { ConfigError } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import { createLogger } from '../../core/logger.js';
import { createMemoryStorage } from '../../sessions/adapters/memory/index.js';
import { createApiApp } from '../../server/app.js';
import { createTokenAuth } from '../../server/auth.js';
import { lambdaStreamingRuntime, streamingApiHandler } from './stream.js';

const TOKEN = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const RESULT = fakeTurnResult({ response: 'Two instances.', cost_usd: 0.0042 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, what: string, ms = 2000): Promise<void> {
  for (const started = Date.now(); !done(); await sleep(5)) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
  }
}

/**
 * A runner test double whose turn emits `turn_started` and a `text` delta, then holds until the
 * test calls `release()`: the test only releases it once it has seen those events on the response
 * stream, so a buffered handler (which writes nothing before the turn ends) fails here.
 */
function gatedRunner() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const runner: AgentRunner = {
    async runTurn(request) {
      const emit = (event: TurnEvent) => request.onEvent?.(event);
      emit({ type: 'turn_started', turn: 1 });
      await sleep(20);
      emit({ type: 'text', delta: 'Two ' });
      await gate;
      emit({ type: 'text', delta: 'instances.' });
      await sleep(20);
      return RESULT;
    },
    async resetConversation() {},
  };
  return { runner, release };
}

let restore: () => void;
beforeAll(() => {
  restore = installAwsLambdaGlobal();
});
afterAll(() => restore());

function apiHandler(runner: AgentRunner) {
  const app = createApiApp({
    runner,
    storage: createMemoryStorage(),
    logger: createLogger({ level: 'error', write: () => undefined }),
    auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId] }]),
  });
  return streamingApiHandler(lambdaStreamingRuntime(), async () => app);
}

describe('the API as a response-streaming Lambda handler (Function URL RESPONSE_STREAM)', () => {
  it('writes SSE events to the response stream as the turn produces them, after the HTTP prelude', async () => {
    const { runner, release } = gatedRunner();
    const stream = new RecordingResponseStream();
    const event = functionUrlEvent('POST', '/v1/chat', {
      headers: { ...AUTH, accept: 'text/event-stream' },
      body: { user_message: 'how many instances?', chat_id: 1 },
    });
    const invocation = invokeStreaming(apiHandler(runner), event, stream);

    // Mid-turn: the prelude and the first events are already out, the result is not.
    await until(() => stream.bytes().includes('event: text\n'), 'first text event on the stream');
    const midTurn = decodeHttpIntegration(stream);
    expect(midTurn.statusCode).toBe(200);
    expect(midTurn.headers['content-type']).toBe('text/event-stream');
    expect(midTurn.body).toContain('event: turn_started\ndata: {"turn":1}\n\n');
    expect(midTurn.body).toContain('data: {"delta":"Two "}');
    expect(midTurn.body).not.toContain('event: result');
    const writtenMidTurn = stream.chunks.length;
    release();

    await invocation;
    const done = decodeHttpIntegration(stream);
    expect(stream.chunks.length).toBeGreaterThan(writtenMidTurn);
    expect(done.body.startsWith(midTurn.body)).toBe(true);
    expect(done.body).toContain('data: {"delta":"instances."}');
    expect(done.body.endsWith(`event: result\ndata: ${JSON.stringify(RESULT)}\n\n`)).toBe(true);
    // The first event went out in its own write, well before the result's.
    const at = (text: string) => stream.chunks.find((c) => c.bytes.includes(text))?.at ?? NaN;
    expect(at('event: turn_started')).toBeLessThan(at('event: result'));
  });

  it('answers plain JSON routes and errors with their status, headers and body', async () => {
    const { runner, release } = gatedRunner();
    release();
    const handler = apiHandler(runner);
    const call = async (...args: Parameters<typeof functionUrlEvent>) =>
      decodeHttpIntegration(await invokeStreaming(handler, functionUrlEvent(...args)));

    const health = await call('GET', '/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-type']).toMatch(/^application\/json/);
    expect(health.headers['x-request-id']).toBeTruthy();
    expect(JSON.parse(health.body)).toEqual({ ok: true });

    const chat = await call('POST', '/v1/chat', { headers: AUTH, body: { user_message: 'hi', chat_id: 1 } });
    expect(chat.statusCode).toBe(200);
    expect(chat.headers['content-type']).toMatch(/^application\/json/);
    expect(chat.body).toBe(JSON.stringify(RESULT));

    const anonymous = await call('POST', '/v1/chat', { body: { user_message: 'hi', chat_id: 1 } });
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ error: { code: expect.any(String) } });

    const invalid = await call('POST', '/v1/chat', { headers: AUTH, body: { chat_id: 1 } });
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ error: { code: expect.any(String) } });

    const outside = await call('POST', '/v1/chat', {
      headers: AUTH,
      body: { user_message: 'hi', chat_id: 1, tenant: 'other' },
    });
    expect(outside.statusCode).toBe(403);

    const missing = await call('GET', '/v1/nowhere', { headers: AUTH });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('builds the app once, and again after a failed start', async () => {
    let builds = 0;
    const { runner, release } = gatedRunner();
    release();
    const app = createApiApp({
      runner,
      storage: createMemoryStorage(),
      logger: createLogger({ level: 'error', write: () => undefined }),
      auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId] }]),
    });
    const handler = streamingApiHandler(lambdaStreamingRuntime(), async () => {
      builds += 1;
      if (builds === 1) throw new Error('cold start failed');
      return app;
    });
    await expect(invokeStreaming(handler, functionUrlEvent('GET', '/healthz'))).rejects.toThrow(
      'cold start failed',
    );
    for (let i = 0; i < 2; i++)
      expect(
        decodeHttpIntegration(await invokeStreaming(handler, functionUrlEvent('GET', '/healthz'))).statusCode,
      ).toBe(200);
    expect(builds).toBe(2);
  });

  it('refuses to run without the runtime global, saying why', () => {
    expect(() => lambdaStreamingRuntime({})).toThrow(ConfigError);
    expect(() => lambdaStreamingRuntime({})).toThrow(/awslambda/);
  });
});
