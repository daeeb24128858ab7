import { describe, expect, it } from 'vitest';
import {
  chunk,
  errorResponse,
  messageJson,
  partialStreamEvents,
  streamEvents,
  type RenderMeta,
} from './render.js';
import { encodeSseEvent, parseSse } from './sse.js';

const meta: RenderMeta = { messageId: 'msg_1', model: 'claude-test', bodyChars: 4000 };

function deltas(events: ReturnType<typeof streamEvents>, type: string, field: string): string {
  return events
    .flatMap((e) => {
      const delta = e['delta'] as Record<string, unknown> | undefined;
      return e.type === 'content_block_delta' && delta?.['type'] === type ? [String(delta[field])] : [];
    })
    .join('');
}

describe('stream events', () => {
  it('frames a text reply from message_start to message_stop with realistic usage', () => {
    const text = 'x'.repeat(130);
    const events = streamEvents({ kind: 'text', text }, meta);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(deltas(events, 'text_delta', 'text')).toBe(text);
    const start = events[0]?.['message'] as Record<string, unknown>;
    expect(start).toMatchObject({ id: 'msg_1', model: 'claude-test', content: [], role: 'assistant' });
    expect(start['usage']).toMatchObject({ input_tokens: 1000 });
    expect(events[6]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 33 } });
  });

  it('streams a tool call after its text as input_json_delta pieces that rebuild the input', () => {
    const input = { command: 'echo "hi"', description: 'greet' };
    const events = streamEvents(
      { kind: 'tool_use', name: 'Bash', input, text: 'Running.', id: 'toolu_1' },
      meta,
    );
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e['content_block']);
    expect(starts).toEqual([
      { type: 'text', text: '' },
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} },
    ]);
    expect(JSON.parse(deltas(events, 'input_json_delta', 'partial_json'))).toEqual(input);
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('renders the same reply as one JSON message for non-streaming requests', () => {
    const json = messageJson({ kind: 'tool_use', name: 'Skill', input: { skill: 'a' }, id: 'toolu_2' }, meta);
    expect(json).toMatchObject({
      id: 'msg_1',
      type: 'message',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'toolu_2', name: 'Skill', input: { skill: 'a' } }],
      usage: { input_tokens: 1000 },
    });
  });

  it('stops a dropped reply after the partial text', () => {
    const events = partialStreamEvents({ kind: 'drop', partialText: 'half' }, meta);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
    ]);
  });

  it('chunks text without losing characters', () => {
    expect(chunk('', 4)).toEqual(['']);
    expect(chunk('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('error bodies', () => {
  it('uses Anthropic error types per status', () => {
    const overloaded = errorResponse({ kind: 'error', status: 529 });
    expect(JSON.parse(overloaded.body)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const limited = errorResponse({ kind: 'error', status: 429, message: 'slow down', retryAfterSeconds: 0 });
    expect(limited.headers['retry-after']).toBe('0');
    expect(JSON.parse(limited.body)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
  });
});

describe('SSE framing', () => {
  it('writes an event: line and a data: line per event, and parses back', () => {
    const events = streamEvents({ kind: 'text', text: 'hello\nworld' }, meta);
    const body = events.map(encodeSseEvent).join('');
    expect(body.startsWith('event: message_start\ndata: {')).toBe(true);
    const frames = parseSse(body);
    expect(frames.map((f) => f.event)).toEqual(events.map((e) => e.type));
    expect(frames.map((f) => JSON.parse(f.data))).toEqual(events);
  });

  it('parses multi-line data and skips comments', () => {
    expect(parseSse(': ping\n\nevent: x\ndata: a\ndata: b\n\n')).toEqual([{ event: 'x', data: 'a\nb' }]);
  });
});
