import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_LABEL } from './demo-model.js';
import { delayReply, dropReply, errorReply, replyQueue, textReply, toolUseReply } from './replies.js';
import { startModelServer, type ModelServer } from './server.js';
import { parseSse } from './sse.js';
import { userTexts } from './transcript-view.js';

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-secret', ...headers },
    body: JSON.stringify(body),
  });
}

const body = (text: string, stream: boolean) => ({
  model: 'claude-test',
  max_tokens: 100,
  stream,
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

describe('model server', () => {
  it('streams the demo model as SSE with event lines, and records the request with masked secrets', async () => {
    server = await startModelServer();
    const res = await post(server.url, body('hi', true), { authorization: 'Bearer tok' });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = parseSse(await res.text());
    expect(frames[0]?.event).toBe('message_start');
    expect(frames.at(-1)?.event).toBe('message_stop');
    const text = frames
      .map((f) => JSON.parse(f.data) as { delta?: { text?: string } })
      .map((e) => e.delta?.text ?? '')
      .join('');
    expect(text.startsWith(DEMO_LABEL)).toBe(true);

    const [recorded] = server.requests;
    expect(recorded).toMatchObject({
      index: 0,
      path: '/v1/messages?beta=true',
      model: 'claude-test',
      stream: true,
    });
    expect(recorded?.headers['x-api-key']).toBe('[masked]');
    expect(recorded?.headers['authorization']).toBe('Bearer [masked]');
    expect(userTexts(recorded!)).toEqual(['hi']);
  });

  it('answers non-streaming requests with a JSON message and follows a reply queue', async () => {
    server = await startModelServer({
      handler: replyQueue([toolUseReply('Bash', { command: 'ls' }), textReply('scripted'), errorReply(529)]),
    });
    const first = (await (await post(server.url, body('a', false))).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'Bash' }] });
    const second = (await (await post(server.url, body('b', false))).json()) as Record<string, unknown>;
    expect(second).toMatchObject({
      content: [{ type: 'text', text: 'scripted' }],
      usage: { output_tokens: 2 },
    });
    const third = await post(server.url, body('c', false));
    expect(third.status).toBe(529);
    expect(await third.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    // Script used up: the demo model answers.
    const fourth = (await (await post(server.url, body('d', false))).json()) as {
      content: Array<{ text: string }>;
    };
    expect(fourth.content[0]?.text).toContain('I was shown no earlier user messages');
  });

  it('cuts a dropped stream mid-reply', async () => {
    server = await startModelServer({ handler: () => dropReply('partial') });
    const res = await post(server.url, body('x', true));
    await expect(res.text()).rejects.toThrow();
  });

  it('rejects bodies that are not Messages requests and unknown routes', async () => {
    server = await startModelServer();
    const bad = await post(server.url, { messages: 'nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const missing = await fetch(`${server.url}/v1/other`);
    expect(missing.status).toBe(404);
    expect(server.requests).toHaveLength(0);
  });

  it('swaps handlers at runtime and resolves delayed replies', async () => {
    server = await startModelServer();
    server.setHandler(() => delayReply(1, textReply('swapped')));
    const json = (await (await post(server.url, body('x', false))).json()) as {
      content: Array<{ text: string }>;
    };
    expect(json.content[0]?.text).toBe('swapped');
  });
});
