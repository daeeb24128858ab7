import type { StreamEvent } from './render.js';

/**
 * Server-sent events framing of Anthropic stream events. The `claude` binary needs the `event:`
 * line: without it, it gives up on the stream and retries without streaming.
 */

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

export function encodeSseEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export interface SseFrame {
  event: string | undefined;
  data: string;
}

/** Parse an SSE body into frames (multi-line `data:` joined with newlines; comments skipped). */
export function parseSse(body: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const raw of body.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of raw.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event !== undefined || data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}
