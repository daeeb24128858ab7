import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeTurnResult } from '../../test/support/turn-result.js';
import type { AgentRunner, TurnEvent, TurnRequest, TurnResult } from '../agent/types.js';
import { LeaseConflictError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createMemoryStorage } from '../sessions/adapters/memory/index.js';
import { createApiApp } from './app.js';
import { createTokenAuth } from './auth.js';
import { acceptsEventStream } from './routes/chat.js';

const TOKEN = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const SSE = { accept: 'text/event-stream' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds (the stream callback logs once its write queue is drained). */
async function until(done: () => boolean, ms = 2000): Promise<void> {
  for (const started = Date.now(); !done(); await sleep(5)) {
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
  }
}

/** One step of a scripted turn: an event to emit, or a pause. */
type Step = TurnEvent | { wait: number };

/** A runner test double: plays `script` through `onEvent`, then returns `outcome` (or throws it). */
function scriptedRunner(script: Step[], outcome: TurnResult | Error) {
  const calls: TurnRequest[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const runner: AgentRunner = {
    async runTurn(request) {
      calls.push(request);
      try {
        for (const step of script) {
          if ('wait' in step) await sleep(step.wait);
          else request.onEvent?.(step);
        }
        if (outcome instanceof Error) throw outcome;
        return outcome;
      } finally {
        finished();
      }
    },
    async resetConversation() {},
  };
  return { runner, calls, done };
}

const RESULT = fakeTurnResult({ response: 'Two instances.\n\nBoth running.', cost_usd: 0.0042 });
const SCRIPT: Step[] = [
  { type: 'turn_started', turn: 7 },
  { type: 'text', delta: 'Two ' },
  { type: 'text', delta: 'instances.' },
  {
    type: 'tool_start',
    id: 't1',
    name: 'Task',
    summary: 'aws-support: list',
    parentId: null,
    subagent: 'aws-support',
  },
  { type: 'tool_start', id: 't2', name: 'Bash', summary: 'aws ec2 describe-instances', parentId: 't1' },
  { type: 'tool_progress', id: 't2', name: 'Bash', elapsedS: 30 },
  { type: 'tool_end', id: 't2', isError: false },
  { type: 'tool_end', id: 't1', isError: true },
  { type: 'text', delta: '\n\nBoth running.\nline "two"' },
];

let logLines: string[];
let logger: Logger;
beforeEach(() => {
  logLines = [];
  logger = createLogger({ level: 'debug', write: (l) => logLines.push(l), secrets: [TOKEN] });
});
afterEach(() => {
  logLines = [];
});

function app(runner: AgentRunner, sseHeartbeatMs?: number) {
  return createApiApp({
    runner,
    storage: createMemoryStorage(),
    logger,
    auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId] }]),
    sseHeartbeatMs,
  });
}

const chat = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

interface Frame {
  event?: string;
  data?: string;
  comment?: string;
}

/** Splits an SSE body into frames by the spec's rules (blank-line separated, `field: value` lines). */
function frames(text: string): Frame[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) frame.event = line.slice(7);
        else if (line.startsWith('data: ')) {
          expect(frame.data).toBeUndefined(); // one data line per event: JSON never spans lines
          frame.data = line.slice(6);
        } else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
      }
      return frame;
    });
}

const events = (all: Frame[]) =>
  all.filter((f) => f.event).map((f) => ({ event: f.event, data: JSON.parse(f.data ?? 'null') as unknown }));

describe('POST /v1/chat as Server-Sent Events', () => {
  it('streams every TurnEvent in order, then the exact result the plain route returns', async () => {
    const { runner, calls } = scriptedRunner(SCRIPT, RESULT);
    const res = await app(runner).request('/v1/chat', chat({ user_message: 'hi', chat_id: 1 }, SSE));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(events(frames(await res.text()))).toEqual([
      { event: 'turn_started', data: { turn: 7 } },
      { event: 'text', data: { delta: 'Two ' } },
      { event: 'text', data: { delta: 'instances.' } },
      {
        event: 'tool_start',
        data: {
          id: 't1',
          name: 'Task',
          summary: 'aws-support: list',
          parentId: null,
          subagent: 'aws-support',
        },
      },
      {
        event: 'tool_start',
        data: { id: 't2', name: 'Bash', summary: 'aws ec2 describe-instances', parentId: 't1' },
      },
      { event: 'tool_progress', data: { id: 't2', name: 'Bash', elapsedS: 30 } },
      { event: 'tool_end', data: { id: 't2', isError: false } },
      { event: 'tool_end', data: { id: 't1', isError: true } },
      { event: 'text', data: { delta: '\n\nBoth running.\nline "two"' } },
      { event: 'result', data: RESULT },
    ]);
    expect(calls[0]?.onEvent).toBeTypeOf('function');

    // The plain route, same runner: the very bytes of the `result` event's JSON.
    const plain = await app(scriptedRunner(SCRIPT, RESULT).runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }),
    );
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await plain.text()).toBe(JSON.stringify(RESULT));
    expect(logLines.filter((l) => l.includes('[server] chat turn'))).toHaveLength(2);
  });

  it('"stream": true asks for it too; "stream": false wins over the Accept header; no onEvent then', async () => {
    const body = await app(scriptedRunner(SCRIPT, RESULT).runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1, stream: true }),
    );
    expect(body.headers.get('content-type')).toBe('text/event-stream');
    expect(events(frames(await body.text())).at(-1)).toEqual({ event: 'result', data: RESULT });

    const scripted = scriptedRunner(SCRIPT, RESULT);
    const off = await app(scripted.runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1, stream: false }, SSE),
    );
    expect(await off.text()).toBe(JSON.stringify(RESULT));
    expect(scripted.calls[0]).not.toHaveProperty('onEvent');
  });

  it('sends a heartbeat comment while the turn is quiet, and none after the result', async () => {
    const quiet: Step[] = [{ type: 'turn_started', turn: 1 }, { wait: 130 }, { type: 'text', delta: 'ok' }];
    const res = await app(scriptedRunner(quiet, RESULT).runner, 25).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }, SSE),
    );
    const all = frames(await res.text());
    const pings = all.filter((f) => f.comment === 'ping').length;
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(all.map((f) => f.event ?? 'ping').slice(0, 2)).toEqual(['turn_started', 'ping']);
    expect(all.at(-1)?.event).toBe('result');
  });

  it('a failure after the stream began is an `error` event with the body the plain route returns', async () => {
    const busy = new LeaseConflictError('[sessions] conversation is busy');
    const res = await app(scriptedRunner([{ type: 'turn_started', turn: 3 }], busy).runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }, SSE),
    );
    expect(res.status).toBe(200);
    expect(events(frames(await res.text()))).toEqual([
      { event: 'turn_started', data: { turn: 3 } },
      {
        event: 'error',
        data: { error: { code: 'conversation_busy', message: '[sessions] conversation is busy' } },
      },
    ]);
    const plain = await app(scriptedRunner([], busy).runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }),
    );
    expect(plain.status).toBe(409);

    const secret = new Error(`db password ${TOKEN} leaked`);
    const crash = await app(scriptedRunner([{ type: 'text', delta: 'a' }], secret).runner).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }, SSE),
    );
    const text = await crash.text();
    expect(events(frames(text)).at(-1)).toEqual({
      event: 'error',
      data: { error: { code: 'internal_error', message: 'internal error' } },
    });
    expect(text).not.toContain(TOKEN);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });

  it('validation and scope errors stay plain JSON 4xx, before any turn', async () => {
    const { runner, calls } = scriptedRunner(SCRIPT, RESULT);
    const bad = await app(runner).request('/v1/chat', chat({ chat_id: 1, stream: true }, SSE));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const badFlag = await app(runner).request(
      '/v1/chat',
      chat({ user_message: 'x', chat_id: 1, stream: 'yes' }),
    );
    expect(await badFlag.json()).toMatchObject({ error: { issues: [{ path: 'stream' }] } });
    const other = await app(runner).request(
      '/v1/chat',
      chat({ user_message: 'x', chat_id: 1, tenant: 'acme' }, SSE),
    );
    expect(other.status).toBe(403);
    expect(other.headers.get('content-type')).toMatch(/^application\/json/);
    expect(calls).toHaveLength(0);
  });

  it('a client that disconnects leaves the turn running to its end, with nothing written after', async () => {
    const script: Step[] = [
      { type: 'turn_started', turn: 9 },
      { wait: 30 },
      { type: 'text', delta: 'after the client left' },
      { type: 'tool_start', id: 't', name: 'Bash', summary: 'x', parentId: null },
      { wait: 30 },
    ];
    const scripted = scriptedRunner(script, RESULT);
    const res = await app(scripted.runner, 5).request(
      '/v1/chat',
      chat({ user_message: 'hi', chat_id: 1 }, SSE),
    );
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: turn_started');
    await reader.cancel();
    await scripted.done;
    await until(() => logLines.some((l) => l.includes('stream client disconnected')));
    expect(logLines.some((l) => l.includes('[server] chat turn'))).toBe(true);
  });
});

describe('acceptsEventStream', () => {
  it('reads media ranges, ignores case and parameters, honours q=0', () => {
    expect(acceptsEventStream('text/event-stream')).toBe(true);
    expect(acceptsEventStream('application/json, Text/Event-Stream;q=0.5')).toBe(true);
    expect(acceptsEventStream('text/event-stream;q=0')).toBe(false);
    expect(acceptsEventStream('*/*')).toBe(false);
    expect(acceptsEventStream(undefined)).toBe(false);
  });
});

describe('over a real Node server', () => {
  it('a client that drops the connection mid-stream: the turn completes, the server keeps serving', async () => {
    const { serve } = await import('@hono/node-server');
    const { request } = await import('node:http');
    const script: Step[] = [{ type: 'turn_started', turn: 2 }, { wait: 80 }, { type: 'text', delta: 'late' }];
    const scripted = scriptedRunner(script, RESULT);
    const api = app(scripted.runner, 10);
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: api.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const init = chat({ user_message: 'hi', chat_id: 1 }, SSE);
      // A raw client, so dropping the connection closes the socket at once.
      const first = await new Promise<string>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path: '/v1/chat',
          method: 'POST',
          headers: init.headers,
        });
        req.on('response', (res) =>
          res.once('data', (chunk: Buffer) => {
            req.destroy();
            resolve(chunk.toString());
          }),
        );
        req.on('error', reject);
        req.end(init.body);
      });
      expect(first).toContain('event: turn_started');
      await scripted.done;
      await until(() => logLines.some((l) => l.includes('stream client disconnected')));
      expect(logLines.some((l) => l.includes('[server] chat turn'))).toBe(true);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
    } finally {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
