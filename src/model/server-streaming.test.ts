import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { DEMO_LABEL } from './demo-model.js';
import { textReply } from './replies.js';
import { startModelServer, type ModelServer } from './server.js';
import { parseSse } from './sse.js';

/** Paced replies (`stream <N> words`) over real HTTP: deltas spread over time, clean stops. */

let server: ModelServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

function post(text: string, stream: boolean, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server!.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', max_tokens: 10, stream, messages: [{ role: 'user', content: text }] }),
    ...(signal ? { signal } : {}),
  });
}

interface Delta {
  text: string;
  /** Milliseconds since the request was sent. */
  at: number;
}

/** Reads the SSE body as it arrives; stops early once `stopAfter` deltas were seen. */
async function readDeltas(res: Response, sentAt: number, stopAfter = Infinity): Promise<Delta[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const deltas: Delta[] = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return deltas;
    buffer += decoder.decode(value, { stream: true });
    const end = buffer.lastIndexOf('\n\n');
    if (end === -1) continue;
    for (const frame of parseSse(buffer.slice(0, end + 2))) {
      const event = JSON.parse(frame.data) as { delta?: { type?: string; text?: string } };
      if (event.delta?.type === 'text_delta') {
        deltas.push({ text: event.delta.text ?? '', at: performance.now() - sentAt });
      }
    }
    buffer = buffer.slice(end + 2);
    if (deltas.length >= stopAfter) return deltas;
  }
}

function capturingLogger(lines: Array<{ msg: string; fields?: Record<string, unknown> }>): Logger {
  const logger: Logger = {
    debug: (msg, fields) => void lines.push({ msg, ...(fields ? { fields } : {}) }),
    info: () => {},
    warn: () => {},
    error: (msg, fields) => void lines.push({ msg, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  return logger;
}

describe('paced streaming (stream <N> words)', () => {
  it('writes one delta per word, each after the token interval', async () => {
    server = await startModelServer({ tokenMs: 40 });
    const sentAt = performance.now();
    const deltas = await readDeltas(await post('stream 5 words', true), sentAt);

    expect(deltas.map((d) => d.text)).toEqual([
      `${DEMO_LABEL} word1`,
      ' word2',
      ' word3',
      ' word4',
      ' word5',
    ]);
    const first = deltas[0]!.at;
    const last = deltas.at(-1)!.at;
    expect(first).toBeGreaterThanOrEqual(35);
    // Four more intervals of 40 ms between the first and the last delta.
    expect(last - first).toBeGreaterThanOrEqual(4 * 40 - 10);
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]!.at).toBeGreaterThan(deltas[i - 1]!.at);
  });

  it('reports each streamed text delta to onTextDelta as it is written, before the client reads it', async () => {
    const written: Array<{ request: number; n: number; at: number }> = [];
    server = await startModelServer({
      tokenMs: 20,
      onTextDelta: (d) => void written.push({ ...d, at: performance.now() }),
    });
    const sentAt = performance.now();
    const deltas = await readDeltas(await post('stream 3 words', true), sentAt);
    expect(written.map(({ request, n }) => ({ request, n }))).toEqual([
      { request: 0, n: 0 },
      { request: 0, n: 1 },
      { request: 0, n: 2 },
    ]);
    written.forEach((w, i) => expect(w.at - sentAt).toBeLessThanOrEqual(deltas[i]!.at + 1));
  });

  it('writes everything at once with tokenMs 0, and paces only paced replies', async () => {
    server = await startModelServer({ tokenMs: 0 });
    let sentAt = performance.now();
    const fast = await readDeltas(await post('stream 300 words', true), sentAt);
    expect(fast).toHaveLength(300);
    expect(fast.at(-1)!.at).toBeLessThan(2_000); // paced at 50 ms it would take 15 s
    await server.close();

    server = await startModelServer({ tokenMs: 5_000, handler: () => textReply('x'.repeat(500)) });
    sentAt = performance.now();
    const scripted = await readDeltas(await post('anything', true), sentAt);
    expect(scripted.map((d) => d.text).join('')).toBe('x'.repeat(500));
    expect(scripted.at(-1)!.at).toBeLessThan(2_000);
  });

  it('answers a non-streaming request with the whole text at once, without the delay', async () => {
    server = await startModelServer({ tokenMs: 5_000 });
    const sentAt = performance.now();
    const json = (await (await post('stream 3 words', false)).json()) as { content: Array<{ text: string }> };
    expect(json.content[0]?.text).toBe(`${DEMO_LABEL} word1 word2 word3`);
    expect(performance.now() - sentAt).toBeLessThan(2_000);
  });

  it('stops when the client disconnects mid-stream and keeps answering', async () => {
    const lines: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
    server = await startModelServer({ tokenMs: 20, logger: capturingLogger(lines) });
    const client = new AbortController();
    const res = await post('stream 1000 words', true, client.signal);
    const seen = await readDeltas(res, performance.now(), 3);
    client.abort();
    expect(seen).toHaveLength(3);

    await vi.waitFor(
      () => expect(lines.map((l) => l.msg)).toContain('model stream stopped: client gone or server closing'),
      {
        timeout: 2_000,
      },
    );
    const stopped = lines.find((l) => l.msg.startsWith('model stream stopped'));
    // message_start, content_block_start, then only a few of the 1000 deltas.
    expect(stopped?.fields).toMatchObject({ completed: false });
    expect(stopped?.fields?.['written']).toBeLessThan(20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.filter((l) => l.msg.startsWith('model stream stopped'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'model server request failed')).toEqual([]);

    const next = await readDeltas(await post('stream 2 words', true), performance.now());
    expect(next.map((d) => d.text).join('')).toBe(`${DEMO_LABEL} word1 word2`);
  });

  it('closes promptly while a stream is in progress', async () => {
    server = await startModelServer({ tokenMs: 1_000 });
    const res = await post('stream 100 words', true);
    const reading = readDeltas(res, performance.now());
    const before = performance.now();
    await server.close();
    server = undefined;
    expect(performance.now() - before).toBeLessThan(900);
    await expect(reading).rejects.toThrow();
  });
});

describe('token interval configuration', () => {
  it('refuses an invalid tokenMs option', async () => {
    await expect(startModelServer({ tokenMs: -1 })).rejects.toThrow(ConfigError);
    await expect(startModelServer({ tokenMs: 1.5 })).rejects.toThrow(/tokenMs/);
  });

  it('falls back to OMNICLOUD_DEMO_TOKEN_MS and refuses an invalid value naming it', async () => {
    vi.stubEnv('OMNICLOUD_DEMO_TOKEN_MS', 'soon');
    await expect(startModelServer()).rejects.toThrow(/OMNICLOUD_DEMO_TOKEN_MS/);

    vi.stubEnv('OMNICLOUD_DEMO_TOKEN_MS', '0');
    server = await startModelServer();
    const sentAt = performance.now();
    expect(await readDeltas(await post('stream 100 words', true), sentAt)).toHaveLength(100);
    expect(performance.now() - sentAt).toBeLessThan(2_000); // the 50 ms default would take 5 s
  });
});
